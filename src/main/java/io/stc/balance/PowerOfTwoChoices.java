package io.stc.balance;

import io.stc.pool.Backend;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Power of two choices: of two distinct random backends (all of them when there are three or
 * fewer), the one with the lower peak-EWMA latency × (in-flight + 1) per unit of weight.
 */
final class PowerOfTwoChoices implements WeightedBalancer {
  /** Up to this many backends, all are compared: sampling two of so few gains nothing. */
  static final int COMPARE_ALL = 3;

  private final Supplier<RandomGenerator> random;
  private final AtomicLong next = new AtomicLong();
  private final PoolArrays.Cache arrays = new PoolArrays.Cache();

  PowerOfTwoChoices() {
    this(ThreadLocalRandom::current);
  }

  /** With a chosen source of randomness (a seeded one in tests); it must be safe to share between threads. */
  PowerOfTwoChoices(Supplier<RandomGenerator> random) {
    this.random = random;
  }

  @Override
  public Backend pick(Request request, WeightedPool pool) {
    Backend[] up = pool.available();
    int n = up.length;
    if (n <= 1) {
      return n == 0 ? null : up[0];
    }
    PoolArrays c = arrays.of(pool.pool());
    long[] weights = pool.weights();
    if (n <= COMPARE_ALL) {
      int i = (int) Long.remainderUnsigned(next.getAndIncrement(), n);
      int best = i;
      for (int k = 1; k < n; k++) {
        i = i + 1 == n ? 0 : i + 1;
        if (lower(c, weights, i, best)) {
          best = i;
        }
      }
      return up[best];
    }
    RandomGenerator rnd = random.get();
    int a = rnd.nextInt(n);
    int b = rnd.nextInt(n - 1);
    if (b >= a) {
      b++;
    }
    return lower(c, weights, b, a) ? up[b] : up[a];
  }

  /**
   * Whether candidate x scores strictly lower than y. A backend with no latency sample yet scores
   * 0 while idle (so it is tried) and worse than any measured one while its first request is in
   * flight (so it is probed, not flooded).
   */
  private static boolean lower(PoolArrays c, long[] weights, int x, int y) {
    double rankX = c.latency()[x].peakRank();
    double rankY = c.latency()[y].peakRank();
    int inX = c.stats()[x].inFlight();
    int inY = c.stats()[y].inFlight();
    double loadX = (inX + 1) / (double) weights[x];
    double loadY = (inY + 1) / (double) weights[y];
    boolean unmeasuredX = rankX == Double.NEGATIVE_INFINITY;
    boolean unmeasuredY = rankY == Double.NEGATIVE_INFINITY;
    if (unmeasuredX || unmeasuredY) {
      if (unmeasuredX && unmeasuredY) {
        return loadX < loadY;
      }
      return unmeasuredX ? inX == 0 : inY > 0;
    }
    // peakX × loadX < peakY × loadY, with peakX / peakY = exp(rankX - rankY).
    return Math.exp(rankX - rankY) * loadX < loadY;
  }
}
