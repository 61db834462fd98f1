package io.stc.session;

import io.stc.balance.Request;
import io.stc.pool.Backend;
import io.stc.pool.Pool;

/**
 * Session affinity: which backend a request is pinned to, and how to pin it after it was served.
 * Called on event loops for every request: lock-free, non-blocking, allocation-light.
 */
public interface StickySessions {
  /** No affinity: every request is balanced on its own. */
  StickySessions NONE =
      new StickySessions() {
        @Override
        public Backend pinned(Request request, Pool pool) {
          return null;
        }

        @Override
        public String pin(Request request, Backend served, Backend pinned) {
          return null;
        }

        @Override
        public int sessions(Backend backend) {
          return 0;
        }
      };

  /**
   * The backend this request's session is pinned to, when it may still serve it (in the pool and
   * UP, or DRAINING when draining backends keep their sessions); null otherwise.
   */
  Backend pinned(Request request, Pool pool);

  /**
   * Records that {@code served} answered the request, whose session was pinned to {@code pinned}
   * (null when it was not, or the pin was unusable).
   *
   * @return a {@code Set-Cookie} header value to add to the response, or null
   */
  String pin(Request request, Backend served, Backend pinned);

  /** How many live sessions are pinned to the backend (for stats). */
  int sessions(Backend backend);
}
