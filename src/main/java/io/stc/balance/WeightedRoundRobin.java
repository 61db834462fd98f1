package io.stc.balance;

import io.stc.pool.Backend;
import java.util.concurrent.atomic.AtomicLong;

/** Smooth weighted round robin in nginx's order (weights 3:2:1 give a,b,a,c,b,a). */
final class WeightedRoundRobin implements WeightedBalancer {
  private final AtomicLong next = new AtomicLong();
  private volatile Cycle cycle = new Cycle(null, new Backend[0]);

  // One cycle of picks for one set of weights.
  private record Cycle(WeightedPool pool, Backend[] order) {}

  @Override
  public Backend pick(Request request, WeightedPool pool) {
    Backend[] up = pool.available();
    if (up.length <= 1) {
      return up.length == 0 ? null : up[0];
    }
    Cycle c = cycle;
    if (c.pool != pool) {
      c = new Cycle(pool, WeightedSequence.build(up, pool.weights()));
      cycle = c;
    }
    Backend[] order = c.order;
    return order[(int) Long.remainderUnsigned(next.getAndIncrement(), order.length)];
  }
}
