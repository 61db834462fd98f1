package io.stc.balance;

import io.stc.pool.Backend;
import io.stc.pool.BackendStats;
import io.stc.pool.LatencyEstimate;
import io.stc.pool.Pool;

/**
 * A pool snapshot's available backends' counters and latency estimates in flat arrays,
 * index for index with {@link Pool#available()}: scanning balancers read these instead of hopping
 * through each backend, and cache them per snapshot by identity.
 */
record PoolArrays(Pool pool, BackendStats[] stats, LatencyEstimate[] latency) {
  private static final PoolArrays NONE = new PoolArrays(null, new BackendStats[0], new LatencyEstimate[0]);

  /** The arrays of {@code pool}'s available backends. */
  static PoolArrays of(Pool pool) {
    Backend[] up = pool.available();
    BackendStats[] stats = new BackendStats[up.length];
    LatencyEstimate[] latency = new LatencyEstimate[up.length];
    for (int i = 0; i < up.length; i++) {
      stats[i] = up[i].stats();
      latency[i] = stats[i].latency();
    }
    return new PoolArrays(pool, stats, latency);
  }

  /** The arrays of the last snapshot asked for, rebuilt when the pool publishes a new one. */
  static final class Cache {
    private volatile PoolArrays last = NONE;

    PoolArrays of(Pool pool) {
      PoolArrays a = last;
      if (a.pool() != pool) {
        a = PoolArrays.of(pool);
        last = a;
      }
      return a;
    }
  }
}
