package io.stc.pool;

import io.stc.Clock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Live counters of one backend, written lock-free by the data plane and read by balancers and stats. */
public final class BackendStats {
  /** Weight of a new sample in the latency EWMA. */
  static final double EWMA_ALPHA = 0.2;

  private static final VarHandle IN_FLIGHT;

  static {
    try {
      IN_FLIGHT = MethodHandles.lookup().findVarHandle(BackendStats.class, "inFlight", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // A field rather than an AtomicInteger: least-connections reads it for every backend on every
  // pick, and one pointer hop fewer per backend is measurable at 1,000 backends.
  private volatile int inFlight;
  private final LongAdder requests = new LongAdder();
  private final LongAdder failures = new LongAdder();
  // Doubles stored as raw long bits so the EWMA can be updated with a CAS, never a lock.
  private final AtomicLong ewmaLatencyNanos = new AtomicLong(Double.doubleToRawLongBits(0.0));
  private final LongAdder latencyTotalNanos = new LongAdder();
  private final LatencyEstimate latency = new LatencyEstimate();
  private final RecentLatency recent = new RecentLatency();
  /** When a response head last came from this backend (clock nanoseconds); 0 before the first. */
  private volatile long lastResponseNanos;
  private final Clock clock;

  /** Counters whose time-based estimates run on the system clock. */
  public BackendStats() {
    this(Clock.SYSTEM);
  }

  /** Counters whose time-based estimates (the peak EWMA's decay) run on {@code clock}. */
  public BackendStats(Clock clock) {
    this.clock = clock;
  }

  public int inFlight() {
    return inFlight;
  }

  public void requestStarted() {
    IN_FLIGHT.getAndAdd(this, 1);
  }

  /**
   * Starts a request only if fewer than {@code max} are in flight (0 = no limit): the capacity
   * check and the increment are one atomic step, so event loops cannot overshoot together.
   */
  public boolean tryRequestStarted(int max) {
    if (max <= 0) {
      IN_FLIGHT.getAndAdd(this, 1);
      return true;
    }
    while (true) {
      int now = inFlight;
      if (now >= max) {
        return false;
      }
      if (IN_FLIGHT.compareAndSet(this, now, now + 1)) {
        return true;
      }
    }
  }

  /** Undoes a {@link #tryRequestStarted} whose request never went out. */
  public void requestCancelled() {
    IN_FLIGHT.getAndAdd(this, -1);
  }

  /**
   * Records the end of a request: its latency, and whether it failed. The raw latency goes into
   * the plain average and EWMA; {@link #latency()} counts a failure as a slow response.
   */
  public void requestFinished(long latencyNanos, boolean failed) {
    IN_FLIGHT.getAndAdd(this, -1);
    requests.increment();
    if (failed) {
      failures.increment();
    }
    latencyTotalNanos.add(latencyNanos);
    updateEwma(latencyNanos);
    long now = clock.nanos();
    latency.record(latencyNanos, failed, now);
    if (!failed) {
      recent.record(latencyNanos, now);
    }
  }

  /** A response head arrived from this backend at {@code nowNanos}: it is alive, whatever the status. */
  public void responded(long nowNanos) {
    lastResponseNanos = nowNanos;
  }

  /** When a response head last came from this backend (clock nanoseconds); 0 before the first. */
  public long lastResponseNanos() {
    return lastResponseNanos;
  }

  /** The latencies of recent successful requests, for tail quantiles. */
  public RecentLatency recentLatency() {
    return recent;
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

  /** The failure-penalised latency estimates that latency-aware balancers rank this backend by. */
  public LatencyEstimate latency() {
    return latency;
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
    latency.reset();
  }
}
