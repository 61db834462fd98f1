package io.stc.balance;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Power of two choices: of two distinct random backends (all of them when there are three or
 * fewer), the one with the lower peak-EWMA latency × (in-flight + 1) per unit of weight.
 */
public final class PowerOfTwoChoices implements Balancer {
  /** Up to this many backends, all are compared: sampling two of so few gains nothing. */
  static final int COMPARE_ALL = 3;

  private final Clock clock;
  private final SlowStart slowStart;
  private final Supplier<RandomGenerator> random;
  private final AtomicLong next = new AtomicLong();
  private final PoolArrays.Cache arrays = new PoolArrays.Cache();

  public PowerOfTwoChoices(Clock clock, SlowStart slowStart) {
    this(clock, slowStart, ThreadLocalRandom::current);
  }

  /** With a chosen source of randomness (a seeded one in tests); it must be safe to share between threads. */
  PowerOfTwoChoices(Clock clock, SlowStart slowStart, Supplier<RandomGenerator> random) {
    this.clock = clock;
    this.slowStart = slowStart;
    this.random = random;
  }

  @Override
  public Backend pick(Request request, Pool pool) {
    Backend[] up = pool.available();
    int n = up.length;
    if (n <= 1) {
      return n == 0 ? null : up[0];
    }
    PoolArrays c = arrays.of(pool);
    long now = 0;
    boolean ramping = false;
    if (slowStart.enabled()) {
      now = clock.nanos();
      ramping = slowStart.ramping(pool, now);
    }
    if (n <= COMPARE_ALL) {
      int i = (int) Long.remainderUnsigned(next.getAndIncrement(), n);
      int best = i;
      for (int k = 1; k < n; k++) {
        i = i + 1 == n ? 0 : i + 1;
        if (lower(c, up, i, best, ramping, now)) {
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
    return lower(c, up, b, a, ramping, now) ? up[b] : up[a];
  }

  /**
   * Whether candidate x scores strictly lower than y. A backend with no latency sample yet scores
   * 0 while idle (so it is tried) and worse than any measured one while its first request is in
   * flight (so it is probed, not flooded).
   */
  private boolean lower(PoolArrays c, Backend[] up, int x, int y, boolean ramping, long now) {
    double rankX = c.latency()[x].peakRank();
    double rankY = c.latency()[y].peakRank();
    int inX = c.stats()[x].inFlight();
    int inY = c.stats()[y].inFlight();
    double loadX = (inX + 1) / (ramping ? slowStart.weight(up[x], now, true) : c.weights()[x]);
    double loadY = (inY + 1) / (ramping ? slowStart.weight(up[y], now, true) : c.weights()[y]);
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
