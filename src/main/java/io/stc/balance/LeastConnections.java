package io.stc.balance;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.BackendStats;
import io.stc.pool.Pool;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backend with the fewest in-flight requests per unit of weight, among all backends or a
 * spread sample of a large pool ({@link ScanWindow}); ties go round robin.
 */
public final class LeastConnections implements Balancer {
  private final Clock clock;
  private final SlowStart slowStart;
  private final AtomicLong next = new AtomicLong();
  private final PoolArrays.Cache arrays = new PoolArrays.Cache();

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
    PoolArrays a = arrays.of(pool);
    BackendStats[] stats = a.stats();
    double[] weights = a.weights();
    int i = (int) Long.remainderUnsigned(next.getAndIncrement(), n);
    int m = ScanWindow.size(n);
    int step = ScanWindow.step(n);
    int best = -1;
    double bestLoad = 0;
    double bestWeight = 1;
    for (int k = 0; k < m; k++, i = i + step >= n ? i + step - n : i + step) {
      double load = stats[i].inFlight();
      double weight = ramping ? slowStart.weight(up[i], now, true) : weights[i];
      // load/weight < bestLoad/bestWeight, without dividing.
      if (best < 0 || load * bestWeight < bestLoad * weight) {
        best = i;
        bestLoad = load;
        bestWeight = weight;
      }
    }
    return up[best];
  }

}
