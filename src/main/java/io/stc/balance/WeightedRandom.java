package io.stc.balance;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/** A random available backend, each chosen with probability proportional to its weight. */
public final class WeightedRandom implements Balancer {
  private final Clock clock;
  private final SlowStart slowStart;
  private final Supplier<RandomGenerator> random;
  private volatile Table table = new Table(null, null, 0);

  // Running weight totals of a snapshot's available backends; null when all weights are equal.
  private record Table(Pool pool, long[] cumulative, long total) {}

  public WeightedRandom(Clock clock, SlowStart slowStart) {
    this(clock, slowStart, ThreadLocalRandom::current);
  }

  /** With a chosen source of randomness (a seeded one in tests); it must be safe to share between threads. */
  WeightedRandom(Clock clock, SlowStart slowStart, Supplier<RandomGenerator> random) {
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
    RandomGenerator rnd = random.get();
    if (slowStart.enabled()) {
      long now = clock.nanos();
      if (slowStart.ramping(pool, now)) {
        return rampingPick(up, now, rnd);
      }
    }
    Table t = table;
    if (t.pool != pool) {
      t = tableOf(pool, up);
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

  private Backend rampingPick(Backend[] up, long now, RandomGenerator rnd) {
    double total = 0;
    for (Backend b : up) {
      total += slowStart.weight(b, now, true);
    }
    double r = rnd.nextDouble() * total;
    for (Backend b : up) {
      r -= slowStart.weight(b, now, true);
      if (r < 0) {
        return b;
      }
    }
    return up[up.length - 1];
  }

  private static Table tableOf(Pool pool, Backend[] up) {
    long[] cum = new long[up.length];
    long total = 0;
    boolean equal = true;
    for (int i = 0; i < up.length; i++) {
      total += up[i].weight();
      cum[i] = total;
      equal &= up[i].weight() == up[0].weight();
    }
    return new Table(pool, equal ? null : cum, total);
  }
}
