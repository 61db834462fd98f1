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

  /**
   * Score of a backend that has requests in flight but no latency sample yet: it is avoided until
   * its first response comes back, so a new backend is probed rather than flooded.
   */
  static final double UNMEASURED_BUSY = 1e15;

  private final Clock clock;
  private final SlowStart slowStart;
  private final Supplier<RandomGenerator> random;
  private final AtomicLong next = new AtomicLong();

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
    long now = clock.nanos();
    boolean ramping = slowStart.ramping(pool, now);
    if (n <= COMPARE_ALL) {
      int i = (int) Long.remainderUnsigned(next.getAndIncrement(), n);
      Backend best = null;
      double bestScore = 0;
      for (int k = 0; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
        double s = score(up[i], now, ramping);
        if (best == null || s < bestScore) {
          best = up[i];
          bestScore = s;
        }
      }
      return best;
    }
    RandomGenerator rnd = random.get();
    int a = rnd.nextInt(n);
    int b = rnd.nextInt(n - 1);
    if (b >= a) {
      b++;
    }
    return score(up[b], now, ramping) < score(up[a], now, ramping) ? up[b] : up[a];
  }

  private double score(Backend b, long now, boolean ramping) {
    double latency = b.stats().latency().peakEwmaNanos(now);
    int inFlight = b.stats().inFlight();
    double cost = latency == 0.0 && inFlight > 0 ? UNMEASURED_BUSY + inFlight : latency * (inFlight + 1);
    return cost / slowStart.weight(b, now, ramping);
  }
}
