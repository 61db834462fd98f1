package io.stc.balance;

import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backend with the lowest response-time EWMA, where failures count as slow responses and a
 * backend with no samples yet counts as fastest so it gets tried; ties go round robin.
 */
public final class LeastResponseTime implements Balancer {
  private final AtomicLong next = new AtomicLong();

  @Override
  public Backend pick(Request request, Pool pool) {
    Backend[] up = pool.available();
    int n = up.length;
    if (n <= 1) {
      return n == 0 ? null : up[0];
    }
    int i = (int) Long.remainderUnsigned(next.getAndIncrement(), n);
    Backend best = null;
    double bestTime = 0;
    for (int k = 0; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
      Backend b = up[i];
      double time = b.stats().latency().ewmaNanos();
      if (best == null || time < bestTime) {
        best = b;
        bestTime = time;
      }
    }
    return best;
  }
}
