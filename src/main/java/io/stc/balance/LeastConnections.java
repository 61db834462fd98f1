package io.stc.balance;

import io.stc.pool.Backend;
import io.stc.pool.BackendStats;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backend with the fewest in-flight requests per unit of weight, among all backends or a
 * spread sample of a large pool ({@link ScanWindow}); ties go round robin.
 */
final class LeastConnections implements WeightedBalancer {
  private final AtomicLong next = new AtomicLong();
  private final PoolArrays.Cache arrays = new PoolArrays.Cache();

  @Override
  public Backend pick(Request request, WeightedPool pool) {
    Backend[] up = pool.available();
    int n = up.length;
    if (n <= 1) {
      return n == 0 ? null : up[0];
    }
    // Starting the scan at a rotating offset and keeping only strictly better candidates spreads
    // ties in turn instead of piling sequential traffic onto the first backend.
    BackendStats[] stats = arrays.of(pool.pool()).stats();
    long[] weights = pool.weights();
    int i = (int) Long.remainderUnsigned(next.getAndIncrement(), n);
    int m = ScanWindow.size(n);
    int step = ScanWindow.step(n);
    int best = -1;
    double bestLoad = 0;
    double bestWeight = 1;
    for (int k = 0; k < m; k++, i = i + step >= n ? i + step - n : i + step) {
      double load = stats[i].inFlight();
      double weight = weights[i];
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
