package io.stc.scale;

import io.stc.pool.Backend;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * Measures the managed instances into a {@link ScaleSnapshot}; rates and the p99 cover the time
 * since the previous measurement. Used from the autoscaler's thread only.
 */
final class LoadMeter {
  private final LatencyWindow latency;
  private final IntSupplier queueDepth;
  private final IntSupplier othersInFlight;
  private Map<Backend, Long> requestsSeen = new HashMap<>();
  private long lastNanos;

  /**
   * @param queueDepth requests waiting for an instance, in this stc and the others of its fleet
   * @param othersInFlight requests the other stc replicas of the fleet have in flight at instances
   */
  LoadMeter(LatencyWindow latency, IntSupplier queueDepth, IntSupplier othersInFlight) {
    this.latency = latency;
    this.queueDepth = queueDepth;
    this.othersInFlight = othersInFlight;
  }

  /** Starts the first measurement period. */
  void reset(long nowNanos) {
    lastNanos = nowNanos;
    requestsSeen = new HashMap<>();
  }

  ScaleSnapshot measure(Collection<ManagedInstance> instances, long nowNanos) {
    int ready = 0;
    int pending = 0;
    int inFlight = 0;
    long finished = 0;
    Map<Backend, Long> seen = new HashMap<>();
    for (ManagedInstance m : instances) {
      if (m.ready()) {
        ready++;
        inFlight += m.backend.stats().inFlight();
      } else if (m.pending()) {
        pending++;
      }
      if (m.backend != null && m.phase != ManagedInstance.Phase.STOPPING) {
        long total = m.backend.stats().requests();
        Long before = requestsSeen.get(m.backend);
        // A reset of the counters reads as no requests rather than a negative rate.
        finished += Math.max(0, total - (before == null ? 0 : before));
        seen.put(m.backend, total);
      }
    }
    requestsSeen = seen;
    double elapsed = (nowNanos - lastNanos) / 1e9;
    lastNanos = nowNanos;
    double rps = elapsed > 0 ? finished / elapsed / Math.max(1, ready) : 0;
    inFlight += Math.max(0, othersInFlight.getAsInt());
    int queued = Math.max(0, queueDepth.getAsInt());
    return new ScaleSnapshot(ready, pending, inFlight, queued, rps, latency.p99MillisSinceLastRead());
  }
}
