package io.stc.admin;

import io.stc.pool.Backend;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the admin knows about the requests one backend served: a wait-free latency recorder turned
 * into a cumulative histogram once a second, monotonic counters by status class and duration
 * bucket for metrics, and a ring of per-second request counts for sparklines.
 */
final class BackendTraffic {
  /** Highest latency tracked, in microseconds (one hour); longer ones count as this. */
  static final long HIGHEST_MICROS = 3_600_000_000L;
  /** Upper bounds of the metrics duration buckets, in seconds (+Inf is implicit). */
  static final double[] BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  private static final long[] BUCKET_NANOS = new long[BUCKETS.length];
  static final int SPARK_SECONDS = 60;

  static {
    for (int i = 0; i < BUCKETS.length; i++) {
      BUCKET_NANOS[i] = Math.round(BUCKETS[i] * 1e9);
    }
  }

  final Backend backend;
  private final Recorder recorder = new Recorder(1, HIGHEST_MICROS, 2);
  private final Histogram cumulative = new Histogram(1, HIGHEST_MICROS, 2);
  private Histogram interval;
  // Index 0 counts exchanges that ended without a status (the client went away).
  private final LongAdder[] byClass = new LongAdder[6];
  private final AtomicLongArray buckets = new AtomicLongArray(BUCKETS.length + 1);
  private final LongAdder durationNanos = new LongAdder();
  // Exchanges since the last reset, where byClass never resets (metrics counters are monotonic).
  private final LongAdder served = new LongAdder();
  // Touched only by the once-a-second tick.
  private final long[] perSecond = new long[SPARK_SECONDS];
  private int ticks;
  private long lastTotal;

  BackendTraffic(Backend backend) {
    this.backend = backend;
    for (int i = 0; i < byClass.length; i++) {
      byClass[i] = new LongAdder();
    }
  }

  /** Hot path: wait-free apart from the adders' own CAS. */
  void record(int status, long latencyNanos) {
    long micros = Math.max(1, Math.min(HIGHEST_MICROS, latencyNanos / 1000));
    recorder.recordValue(micros);
    served.increment();
    byClass[status <= 0 ? 0 : Math.min(status / 100, 5)].increment();
    buckets.incrementAndGet(bucket(latencyNanos));
    durationNanos.add(latencyNanos);
  }

  private static int bucket(long nanos) {
    for (int i = 0; i < BUCKET_NANOS.length; i++) {
      if (nanos <= BUCKET_NANOS[i]) {
        return i;
      }
    }
    return BUCKET_NANOS.length;
  }

  /** Once a second: moves the interval's latencies into the cumulative histogram and samples the request count. */
  void tick() {
    synchronized (cumulative) {
      interval = recorder.getIntervalHistogram(interval);
      cumulative.add(interval);
    }
    long total = total();
    perSecond[ticks % SPARK_SECONDS] = total - lastTotal;
    lastTotal = total;
    ticks++;
  }

  /** Requests per second over the last {@code n} ticks, oldest first. */
  long[] recentPerSecond(int n) {
    int count = Math.min(n, Math.min(ticks, SPARK_SECONDS));
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      out[i] = perSecond[(ticks - count + i) % SPARK_SECONDS];
    }
    return out;
  }

  /** A copy of the latency histogram since start or the last reset, in microseconds. */
  Histogram latencies() {
    synchronized (cumulative) {
      return cumulative.copy();
    }
  }

  /** Adds the latencies of the last completed second to {@code target}. */
  void addLastSecondTo(Histogram target) {
    synchronized (cumulative) {
      if (interval != null) {
        target.add(interval);
      }
    }
  }

  /** Exchanges since the last reset. */
  long served() {
    return served.sum();
  }

  /** Zeroes what the API shows since a reset: the served count and the latencies. */
  void reset() {
    served.reset();
    synchronized (cumulative) {
      interval = recorder.getIntervalHistogram(interval);
      cumulative.reset();
    }
  }

  /** Exchanges ended with a status of class {@code n}xx (1..5), or without one (0); never reset. */
  long count(int statusClass) {
    return byClass[statusClass].sum();
  }

  long total() {
    long t = 0;
    for (LongAdder a : byClass) {
      t += a.sum();
    }
    return t;
  }

  /** Non-cumulative counts per duration bucket; the last is above every bound. */
  long[] bucketCounts() {
    long[] out = new long[buckets.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = buckets.get(i);
    }
    return out;
  }

  double durationSeconds() {
    return durationNanos.sum() / 1e9;
  }
}
