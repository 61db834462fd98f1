package io.stc.balance;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Smooth weighted round robin over weights re-derived from measured latency at most once a second:
 * faster backends get heavier, each between 1 and 10× its configured weight.
 */
public final class AdaptiveWeighted implements Balancer {
  /** Weights are re-derived at most this often (and on every new pool snapshot). */
  static final long RECOMPUTE_NANOS = 1_000_000_000L;
  /** The fastest backend gets this many times its configured weight. */
  static final int MAX_BOOST = 10;

  private static final long NOT_RAMPING = Long.MIN_VALUE;

  private final Clock clock;
  private final SlowStart slowStart;
  private final AtomicLong next = new AtomicLong();
  private final AtomicReference<Cycle> cycle =
      new AtomicReference<>(new Cycle(null, 0, NOT_RAMPING, new long[0], new Backend[0]));

  private record Cycle(Pool pool, long computedAt, long epoch, long[] weights, Backend[] order) {}

  public AdaptiveWeighted(Clock clock, SlowStart slowStart) {
    this.clock = clock;
    this.slowStart = slowStart;
  }

  @Override
  public Backend pick(Request request, Pool pool) {
    Backend[] up = pool.available();
    if (up.length <= 1) {
      return up.length == 0 ? null : up[0];
    }
    long now = clock.nanos();
    long epoch = slowStart.ramping(pool, now) ? slowStart.epoch(now) : NOT_RAMPING;
    Cycle c = cycle.get();
    if (c.pool != pool || c.epoch != epoch || now - c.computedAt >= RECOMPUTE_NANOS) {
      long[] w = weights(up, epoch != NOT_RAMPING, now);
      // Unchanged weights keep the cycle, so a steady pool does not rebuild it every second.
      Backend[] order = c.pool == pool && Arrays.equals(w, c.weights) ? c.order : WeightedSequence.build(up, w);
      Cycle fresh = new Cycle(pool, now, epoch, w, order);
      // One thread wins a recompute; the others use whatever is current.
      c = cycle.compareAndSet(c, fresh) ? fresh : cycle.get();
    }
    Backend[] order = c.order;
    return order[(int) Long.remainderUnsigned(next.getAndIncrement(), order.length)];
  }

  private long[] weights(Backend[] up, boolean ramping, long now) {
    double fastest = Double.MAX_VALUE;
    for (Backend b : up) {
      double latency = b.stats().latency().ewmaNanos();
      if (latency > 0) {
        fastest = Math.min(fastest, latency);
      }
    }
    long[] w = new long[up.length];
    for (int i = 0; i < up.length; i++) {
      Backend b = up[i];
      w[i] = weight(b.weight(), b.stats().latency().ewmaNanos(), fastest);
      if (ramping) {
        w[i] *= slowStart.steps(b, now);
      }
    }
    return w;
  }

  /**
   * The adaptive weight of a backend with {@code configured} weight and latency estimate
   * {@code latency} when the fastest in the pool has {@code fastest}: configured × 10 × fastest /
   * latency, bounded between 1 and 10 × configured. A backend with no sample yet counts as fastest
   * so it gets tried.
   */
  static long weight(int configured, double latency, double fastest) {
    long max = (long) configured * MAX_BOOST;
    if (latency <= 0 || fastest >= latency) {
      return max;
    }
    long w = Math.round(max * fastest / latency);
    return Math.max(1, Math.min(max, w));
  }
}
