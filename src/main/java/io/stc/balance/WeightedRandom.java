package io.stc.balance;

import io.stc.pool.Backend;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/** A random available backend, each chosen with probability proportional to its weight. */
final class WeightedRandom implements WeightedBalancer {
  private final Supplier<RandomGenerator> random;
  private volatile Table table = new Table(null, null, 0);

  // Running weight totals of one set of weights; null when all weights are equal.
  private record Table(WeightedPool pool, long[] cumulative, long total) {}

  WeightedRandom() {
    this(ThreadLocalRandom::current);
  }

  /** With a chosen source of randomness (a seeded one in tests); it must be safe to share between threads. */
  WeightedRandom(Supplier<RandomGenerator> random) {
    this.random = random;
  }

  @Override
  public Backend pick(Request request, WeightedPool pool) {
    Backend[] up = pool.available();
    int n = up.length;
    if (n <= 1) {
      return n == 0 ? null : up[0];
    }
    RandomGenerator rnd = random.get();
    Table t = table;
    if (t.pool != pool) {
      t = tableOf(pool);
      table = t;
    }
    if (t.cumulative == null) {
      return up[rnd.nextInt(n)];
    }
    long r = rnd.nextLong(t.total);
    long[] cum = t.cumulative;
    int lo = 0;
    int hi = n - 1;
    // The first backend whose running total exceeds r.
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cum[mid] > r) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return up[lo];
  }

  private static Table tableOf(WeightedPool pool) {
    long[] weights = pool.weights();
    long[] cum = new long[weights.length];
    long total = 0;
    boolean equal = true;
    for (int i = 0; i < weights.length; i++) {
      total += weights[i];
      cum[i] = total;
      equal &= weights[i] == weights[0];
    }
    return new Table(pool, equal ? null : cum, total);
  }
}
