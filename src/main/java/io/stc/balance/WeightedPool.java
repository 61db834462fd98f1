package io.stc.balance;

import io.stc.pool.Backend;
import io.stc.pool.Pool;

/**
 * A pool snapshot with the weight each of its available backends takes now, index for index with
 * {@link Pool#available()}: the configured weights, or lower ones for backends that {@link
 * SlowStart} ramps in.
 *
 * <p>A new instance stands for new weights, so a balancer may cache what it derives from one (a
 * cycle, a table) by identity. Only the scale of the weights within one instance means anything.
 */
record WeightedPool(Pool pool, long[] weights) {
  /** {@code pool} with its backends' configured weights. */
  static WeightedPool configured(Pool pool) {
    Backend[] up = pool.available();
    long[] weights = new long[up.length];
    for (int i = 0; i < up.length; i++) {
      weights[i] = up[i].weight();
    }
    return new WeightedPool(pool, weights);
  }

  /** The backends that may take new requests. Do not modify the array. */
  Backend[] available() {
    return pool.available();
  }
}
