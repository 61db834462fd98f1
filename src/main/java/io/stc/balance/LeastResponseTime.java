package io.stc.balance;

import io.stc.pool.Backend;
import io.stc.pool.LatencyEstimate;
import io.stc.pool.Pool;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backend with the lowest response-time EWMA, where failures count as slow responses and a
 * backend with no samples yet counts as fastest so it gets tried; ties go round robin.
 */
public final class LeastResponseTime implements Balancer {
  private final AtomicLong next = new AtomicLong();
  private volatile Estimates estimates = new Estimates(null, new LatencyEstimate[0]);

  // A snapshot's latency estimates in a flat array, so the scan skips pointer hops per backend.
  private record Estimates(Pool pool, LatencyEstimate[] latency) {}

  @Override
  public Backend pick(Request request, Pool pool) {
    Backend[] up = pool.available();
    int n = up.length;
    if (n <= 1) {
      return n == 0 ? null : up[0];
    }
    Estimates e = estimates;
    if (e.pool != pool) {
      LatencyEstimate[] latency = new LatencyEstimate[n];
      for (int i = 0; i < n; i++) {
        latency[i] = up[i].stats().latency();
      }
      e = new Estimates(pool, latency);
      estimates = e;
    }
    LatencyEstimate[] latency = e.latency;
    int i = (int) Long.remainderUnsigned(next.getAndIncrement(), n);
    int best = -1;
    double bestTime = 0;
    for (int k = 0; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
      double time = latency[i].ewmaNanos();
      if (best < 0 || time < bestTime) {
        best = i;
        bestTime = time;
      }
    }
    return up[best];
  }
}
