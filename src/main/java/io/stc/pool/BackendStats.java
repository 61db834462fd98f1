package io.stc.pool;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Live counters of one backend, written lock-free by the data plane and read by balancers and stats. */
public final class BackendStats {
  /** Weight of a new sample in the latency EWMA. */
  static final double EWMA_ALPHA = 0.2;

  private final AtomicInteger inFlight = new AtomicInteger();
  private final LongAdder requests = new LongAdder();
  private final LongAdder failures = new LongAdder();
  // Doubles stored as raw long bits so the EWMA can be updated with a CAS, never a lock.
  private final AtomicLong ewmaLatencyNanos = new AtomicLong(Double.doubleToRawLongBits(0.0));
  private final LongAdder latencyTotalNanos = new LongAdder();

  public int inFlight() {
    return inFlight.get();
  }

  public void requestStarted() {
    inFlight.incrementAndGet();
  }

  /**
   * Records the end of a request: its latency, and whether it failed. A failed request's latency
   * is recorded as given; latency-aware balancers add their own penalty.
   */
  public void requestFinished(long latencyNanos, boolean failed) {
    inFlight.decrementAndGet();
    requests.increment();
    if (failed) {
      failures.increment();
    }
    latencyTotalNanos.add(latencyNanos);
    updateEwma(latencyNanos);
  }

  private void updateEwma(long sampleNanos) {
    while (true) {
      long bits = ewmaLatencyNanos.get();
      double old = Double.longBitsToDouble(bits);
      double next = old == 0.0 ? sampleNanos : old + EWMA_ALPHA * (sampleNanos - old);
      if (ewmaLatencyNanos.compareAndSet(bits, Double.doubleToRawLongBits(next))) {
        return;
      }
    }
  }

  public long requests() {
    return requests.sum();
  }

  public long failures() {
    return failures.sum();
  }

  /** Exponentially weighted moving average of latency in nanoseconds; 0 before the first sample. */
  public double ewmaLatencyNanos() {
    return Double.longBitsToDouble(ewmaLatencyNanos.get());
  }

  public double averageLatencyNanos() {
    long n = requests.sum();
    return n == 0 ? 0.0 : (double) latencyTotalNanos.sum() / n;
  }

  /** Zeroes the counters (not in-flight, which reflects live requests). */
  public void reset() {
    requests.reset();
    failures.reset();
    latencyTotalNanos.reset();
    ewmaLatencyNanos.set(Double.doubleToRawLongBits(0.0));
  }
}
