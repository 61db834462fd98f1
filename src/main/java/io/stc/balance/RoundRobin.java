package io.stc.balance;

import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.util.concurrent.atomic.AtomicLong;

/** Each available backend in turn, ignoring weights. */
final class RoundRobin implements Balancer {
  private final AtomicLong next = new AtomicLong();

  @Override
  public Backend pick(Request request, Pool pool) {
    Backend[] up = pool.available();
    if (up.length == 0) {
      return null;
    }
    return up[(int) Long.remainderUnsigned(next.getAndIncrement(), up.length)];
  }
}
