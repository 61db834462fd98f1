package io.stc.session;

import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Pool;

/** The rule every sticky mode shares for whether a pinned backend may still serve its session. */
final class PinnedBackend {
  private PinnedBackend() {}

  /**
   * The backend with this id when it is in the pool and UP, or DRAINING while draining backends
   * keep their sessions, and not a backup while others are available; null otherwise, so the
   * proxy balances the request and re-pins it.
   */
  static Backend resolve(Pool pool, String id, boolean honourDraining) {
    Backend b = pool.find(id);
    if (b == null || b.isRemoved() || b.backup() && !pool.backupsServe()) {
      // A session a backup took while the others were out goes back to them once they return.
      return null;
    }
    BackendState state = b.state();
    return state == BackendState.UP || (honourDraining && state == BackendState.DRAINING) ? b : null;
  }
}
