package io.stc.balance;

import io.stc.pool.Backend;
import io.stc.pool.Pool;

/**
 * Chooses the backend for one request from a pool snapshot.
 *
 * <p>Implementations are thread-safe, lock-free and do no I/O: they run on every event loop for
 * every request.
 */
public interface Balancer {
  /** The backend to use among {@code pool.available()}, or null when none is available. */
  Backend pick(Request request, Pool pool);
}
