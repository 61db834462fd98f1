package io.stc.pool;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A backend's latency distribution over the last few seconds, in buckets half a power of two
 * wide, for quantiles such as the p99 its per-try timeout is derived from. Lock-free: a sample is
 * one atomic increment; the window rolls over on whichever recording thread notices first.
 */
public final class RecentLatency {
  /** How long one window collects samples; a quantile reads the current and the previous one. */
  static final long WINDOW_NANOS = 5_000_000_000L;
  /** Fewer samples than this say too little for a tail quantile. */
  static final int MIN_SAMPLES = 20;
  private static final int BUCKETS = 64;

  private final AtomicLongArray current = new AtomicLongArray(BUCKETS);
  private final AtomicLongArray previous = new AtomicLongArray(BUCKETS);
  private final AtomicLong windowStart = new AtomicLong(Long.MIN_VALUE);
  /** How often the cached p99 is worked out again: it is read on every request sent. */
  static final long P99_REFRESH_NANOS = 250_000_000L;
  private volatile long p99Nanos = -1;
  private volatile long p99At = Long.MIN_VALUE;

  /** Records a response that took {@code latencyNanos}, at {@code nowNanos}. */
  public void record(long latencyNanos, long nowNanos) {
    long start = windowStart.get();
    if (start == Long.MIN_VALUE || nowNanos - start >= WINDOW_NANOS) {
      roll(start, nowNanos);
    }
    current.incrementAndGet(bucket(latencyNanos));
  }

  private void roll(long start, long nowNanos) {
    if (!windowStart.compareAndSet(start, nowNanos)) {
      return; // another thread rolls it
    }
    // A window that ended long ago says nothing about now.
    boolean stale = start == Long.MIN_VALUE || nowNanos - start >= 2 * WINDOW_NANOS;
    for (int i = 0; i < BUCKETS; i++) {
      long n = current.getAndSet(i, 0);
      previous.set(i, stale ? 0 : n);
    }
  }

  /** The recent p99 as {@link #quantileNanos} gives it, worked out at most every 250 ms. */
  public long p99Nanos(long nowNanos) {
    long at = p99At;
    if (at == Long.MIN_VALUE || nowNanos - at >= P99_REFRESH_NANOS) {
      // Racing threads may both work it out: the same answer, no harm.
      p99Nanos = quantileNanos(0.99, nowNanos);
      p99At = nowNanos;
    }
    return p99Nanos;
  }

  /**
   * The latency below which fraction {@code q} of recent responses fell (the bucket's upper edge,
   * so at most 41% high), or -1 when too few responses came in the last two windows.
   */
  public long quantileNanos(double q, long nowNanos) {
    long start = windowStart.get();
    if (start == Long.MIN_VALUE || nowNanos - start >= 2 * WINDOW_NANOS) {
      return -1;
    }
    long[] counts = new long[BUCKETS];
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      counts[i] = current.get(i) + previous.get(i);
      total += counts[i];
    }
    if (total < MIN_SAMPLES) {
      return -1;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return upperEdgeNanos(i);
      }
    }
    return upperEdgeNanos(BUCKETS - 1);
  }

  /** Bucket 2k holds [2^k, 1.5 * 2^k) microseconds, bucket 2k + 1 holds [1.5 * 2^k, 2^(k+1)). */
  static int bucket(long nanos) {
    long micros = Math.max(1, nanos / 1000);
    int k = 63 - Long.numberOfLeadingZeros(micros);
    int half = k == 0 ? 0 : (int) ((micros >>> (k - 1)) & 1);
    return Math.min(BUCKETS - 1, 2 * k + half);
  }

  static long upperEdgeNanos(int bucket) {
    int k = bucket / 2;
    long base = 1L << k;
    long micros = (bucket & 1) == 0 ? base + base / 2 : 2 * base;
    return Math.max(micros, 1) * 1000;
  }
}
