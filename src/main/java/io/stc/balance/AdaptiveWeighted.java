package io.stc.balance;

import io.stc.Clock;
import io.stc.pool.Backend;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Smooth weighted round robin over weights re-derived from measured latency at most once a second:
 * faster backends get heavier, each between 1 and 10× the weight it is given.
 */
final class AdaptiveWeighted implements WeightedBalancer {
  /** Weights are re-derived at most this often (and whenever the given weights change). */
  static final long RECOMPUTE_NANOS = 1_000_000_000L;
  /** The fastest backend gets this many times the weight it is given. */
  static final int MAX_BOOST = 10;

  private final Clock clock;
  private final AtomicLong next = new AtomicLong();
  private final AtomicReference<Cycle> cycle =
      new AtomicReference<>(new Cycle(new WeightedPool(null, new long[0]), 0, new long[0], new Backend[0]));

  private record Cycle(WeightedPool pool, long computedAt, long[] weights, Backend[] order) {}

  AdaptiveWeighted(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Backend pick(Request request, WeightedPool pool) {
    Backend[] up = pool.available();
    if (up.length <= 1) {
      return up.length == 0 ? null : up[0];
    }
    long now = clock.nanos();
    Cycle c = cycle.get();
    if (c.pool != pool || now - c.computedAt >= RECOMPUTE_NANOS) {
      long[] w = weights(up, pool.weights());
      // Unchanged weights keep the cycle, so a steady pool does not rebuild it every second.
      boolean same = c.pool.pool() == pool.pool() && Arrays.equals(w, c.weights);
      Backend[] order = same ? c.order : WeightedSequence.build(up, w);
      Cycle fresh = new Cycle(pool, now, w, order);
      // One thread wins a recompute; the others use whatever is current.
      c = cycle.compareAndSet(c, fresh) ? fresh : cycle.get();
    }
    Backend[] order = c.order;
    return order[(int) Long.remainderUnsigned(next.getAndIncrement(), order.length)];
  }

  private static long[] weights(Backend[] up, long[] given) {
    double fastest = Double.MAX_VALUE;
    for (Backend b : up) {
      double latency = b.stats().latency().ewmaNanos();
      if (latency > 0) {
        fastest = Math.min(fastest, latency);
      }
    }
    long[] w = new long[up.length];
    for (int i = 0; i < up.length; i++) {
      w[i] = weight(given[i], up[i].stats().latency().ewmaNanos(), fastest);
    }
    return w;
  }

  /**
   * The adaptive weight of a backend given weight {@code given} with latency estimate {@code
   * latency} when the fastest in the pool has {@code fastest}: given × 10 × fastest / latency,
   * bounded between 1 and 10 × given. A backend with no sample yet counts as fastest so it gets
   * tried.
   */
  static long weight(long given, double latency, double fastest) {
    long max = given * MAX_BOOST;
    if (latency <= 0 || fastest >= latency) {
      return max;
    }
    long w = Math.round(max * fastest / latency);
    return Math.max(1, Math.min(max, w));
  }
}
