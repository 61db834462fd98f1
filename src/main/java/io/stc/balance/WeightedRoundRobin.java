package io.stc.balance;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.util.concurrent.atomic.AtomicLong;

/** Smooth weighted round robin in nginx's order (weights 3:2:1 give a,b,a,c,b,a), ramping new backends in when slow start is on. */
public final class WeightedRoundRobin implements Balancer {
  private static final long NOT_RAMPING = Long.MIN_VALUE;

  private final Clock clock;
  private final SlowStart slowStart;
  private final AtomicLong next = new AtomicLong();
  private volatile Cycle cycle = new Cycle(null, NOT_RAMPING, new Backend[0]);

  // One cycle of picks for a snapshot; while backends ramp, also for one slow-start epoch.
  private record Cycle(Pool pool, long epoch, Backend[] order) {}

  public WeightedRoundRobin(Clock clock, SlowStart slowStart) {
    this.clock = clock;
    this.slowStart = slowStart;
  }

  @Override
  public Backend pick(Request request, Pool pool) {
    Backend[] up = pool.available();
    if (up.length <= 1) {
      return up.length == 0 ? null : up[0];
    }
    long now = 0;
    long epoch = NOT_RAMPING;
    if (slowStart.enabled()) {
      now = clock.nanos();
      if (slowStart.ramping(pool, now)) {
        epoch = slowStart.epoch(now);
      }
    }
    Cycle c = cycle;
    if (c.pool != pool || c.epoch != epoch) {
      c = new Cycle(pool, epoch, WeightedSequence.build(up, weights(up, epoch != NOT_RAMPING, now)));
      cycle = c;
    }
    Backend[] order = c.order;
    return order[(int) Long.remainderUnsigned(next.getAndIncrement(), order.length)];
  }

  private long[] weights(Backend[] up, boolean ramping, long now) {
    long[] w = new long[up.length];
    for (int i = 0; i < up.length; i++) {
      w[i] = ramping ? (long) up[i].weight() * slowStart.steps(up[i], now) : up[i].weight();
    }
    return w;
  }
}
