package io.stc.limit;

import io.stc.balance.Request;

/**
 * Decides whether a client may send one more request now. Called on event loops for every
 * request: lock-free or nearly, non-blocking, bounded memory.
 */
public interface RateLimiter {
  /** No limit. */
  RateLimiter NONE = request -> 0;

  /**
   * Takes a token for this request's client.
   *
   * @return 0 when the request may proceed, otherwise how many whole seconds (at least 1) until
   *     it could: the value of the 429's {@code Retry-After}
   */
  long tryAcquire(Request request);
}
