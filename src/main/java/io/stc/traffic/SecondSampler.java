package io.stc.traffic;

import java.util.List;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the loops' counters and latency recorders into one {@link SecondSample} per call, and
 * accumulates the whole run's latency histogram. Called once a second by one thread, then once
 * more at the end by the thread that stopped it.
 */
final class SecondSampler {
  private static final Logger LOG = LoggerFactory.getLogger(SecondSampler.class);
  private final LoadStats stats;
  private final List<Dispatcher> dispatchers;
  private final RatePattern pattern;
  private final double durationSeconds;
  private final long startNanos;
  private final Consumer<SecondSample> listener;
  private final Histogram total = new Histogram(1, Dispatcher.MAX_LATENCY_MICROS, 3);
  private int second;
  private long sent;
  private long completed;
  private long errors;
  private long dropped;

  /** {@code pattern} is null in a closed loop. */
  SecondSampler(
      LoadStats stats, List<Dispatcher> dispatchers, RatePattern pattern, double durationSeconds,
      long startNanos, Consumer<SecondSample> listener) {
    this.stats = stats;
    this.dispatchers = dispatchers;
    this.pattern = pattern;
    this.durationSeconds = durationSeconds;
    this.startNanos = startNanos;
    this.listener = listener;
  }

  /** Samples a whole second. */
  void sample() {
    emit(second + 1.0, true);
  }

  /** Samples the last, possibly partial, second; reports it only if anything happened in it. */
  void finish(long endNanos) {
    emit(Math.max(second, (endNanos - startNanos) / 1e9), false);
  }

  /** The latency of every response of the run, in microseconds; complete after {@link #finish}. */
  Histogram total() {
    return total;
  }

  private void emit(double elapsed, boolean always) {
    Histogram interval = new Histogram(1, Dispatcher.MAX_LATENCY_MICROS, 3);
    for (Dispatcher d : dispatchers) {
      interval.add(d.latency.getIntervalHistogram());
    }
    total.add(interval);
    long s = stats.sent.sum();
    long c = stats.completed.sum();
    long e = stats.errors.sum();
    long d = stats.dropped.sum();
    boolean active = s != sent || c != completed || e != errors || d != dropped;
    if (always || active) {
      boolean any = interval.getTotalCount() > 0;
      report(new SecondSample(
          second, elapsed, s - sent, c - completed, e - errors, d - dropped,
          any ? interval.getValueAtPercentile(50) / 1000.0 : Double.NaN,
          any ? interval.getValueAtPercentile(99) / 1000.0 : Double.NaN,
          target(second), s, c, e, d));
    }
    sent = s;
    completed = c;
    errors = e;
    dropped = d;
    second++;
  }

  private void report(SecondSample s) {
    try {
      listener.accept(s);
    } catch (RuntimeException e) {
      // a failing listener must not stop the sampling that the final histogram depends on
      LOG.warn("per-second listener failed: {}", e.toString());
    }
  }

  private double target(int k) {
    if (pattern == null) {
      return Double.NaN;
    }
    double to = Math.min(k + 1, durationSeconds);
    return to > k ? pattern.mean(k, to) * (to - k) : 0;
  }
}
