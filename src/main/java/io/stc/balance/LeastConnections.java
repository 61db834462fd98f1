package io.stc.balance;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.util.concurrent.atomic.AtomicLong;

/** The backend with the fewest in-flight requests per unit of weight; ties go round robin. */
public final class LeastConnections implements Balancer {
  private final Clock clock;
  private final SlowStart slowStart;
  private final AtomicLong next = new AtomicLong();

  public LeastConnections(Clock clock, SlowStart slowStart) {
    this.clock = clock;
    this.slowStart = slowStart;
  }

  @Override
  public Backend pick(Request request, Pool pool) {
    Backend[] up = pool.available();
    int n = up.length;
    if (n <= 1) {
      return n == 0 ? null : up[0];
    }
    long now = 0;
    boolean ramping = false;
    if (slowStart.enabled()) {
      now = clock.nanos();
      ramping = slowStart.ramping(pool, now);
    }
    // Starting the scan at a rotating offset and keeping only strictly better candidates spreads
    // ties in turn instead of piling sequential traffic onto the first backend.
    int i = (int) Long.remainderUnsigned(next.getAndIncrement(), n);
    Backend best = null;
    double bestLoad = 0;
    double bestWeight = 1;
    for (int k = 0; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
      Backend b = up[i];
      double load = b.stats().inFlight();
      double weight = slowStart.weight(b, now, ramping);
      // load/weight < bestLoad/bestWeight, without dividing.
      if (best == null || load * bestWeight < bestLoad * weight) {
        best = b;
        bestLoad = load;
        bestWeight = weight;
      }
    }
    return best;
  }
}
