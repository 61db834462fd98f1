package io.stc.balance;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.BackendStats;
import io.stc.pool.LatencyEstimate;
import io.stc.pool.Pool;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backend with the lowest response-time EWMA, among all backends or a spread sample of a
 * large pool ({@link ScanWindow}), where failures count as slow responses and an idle backend whose
 * estimate is missing or stale counts as fastest so it gets one trial; ties go round robin.
 */
final class LeastResponseTime implements Balancer {
  /**
   * Score of a backend with no estimate (none yet, or stale) that already has a request in flight:
   * it waits for that answer instead of being flooded as "fastest" meanwhile.
   */
  static final double UNKNOWN_BUSY = 1e15;

  private final Clock clock;
  private final AtomicLong next = new AtomicLong();
  private final PoolArrays.Cache arrays = new PoolArrays.Cache();

  LeastResponseTime(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Backend pick(Request request, Pool pool) {
    Backend[] up = pool.available();
    int n = up.length;
    if (n <= 1) {
      return n == 0 ? null : up[0];
    }
    PoolArrays a = arrays.of(pool);
    LatencyEstimate[] latency = a.latency();
    BackendStats[] stats = a.stats();
    // Without this, a backend that was slow once and so never picked again would never get the
    // sample that shows it has recovered.
    long now = clock.nanos();
    int i = (int) Long.remainderUnsigned(next.getAndIncrement(), n);
    int m = ScanWindow.size(n);
    int step = ScanWindow.step(n);
    int best = -1;
    double bestTime = 0;
    for (int k = 0; k < m; k++, i = i + step >= n ? i + step - n : i + step) {
      double time = latency[i].ewmaNanos();
      if (time == 0.0 || now - latency[i].sampledAtNanos() > LatencyEstimate.STALE_NANOS) {
        int inFlight = stats[i].inFlight();
        time = inFlight == 0 ? 0.0 : time == 0.0 ? UNKNOWN_BUSY + inFlight : time;
      }
      if (best < 0 || time < bestTime) {
        best = i;
        bestTime = time;
      }
    }
    return up[best];
  }
}
