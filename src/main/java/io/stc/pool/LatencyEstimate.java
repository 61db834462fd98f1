package io.stc.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The latency figures balancers rank a backend by, where a failure counts as a slow response so a
 * backend that fails fast never looks fast.
 *
 * <p>Two estimates: a per-sample EWMA, and a peak EWMA (as in Finagle and Linkerd) that jumps up to
 * any higher sample at once and otherwise decays with time, so a slowdown shows immediately and an
 * idle backend's cost fades until it is tried again. Both are updated lock-free with a CAS.
 *
 * <p>The per-sample EWMA forgets its history when the previous sample is older than
 * {@link #STALE_NANOS}: a backend that was slow a while ago and got no traffic since is judged by
 * its next response, not by the old figure.
 */
public final class LatencyEstimate {
  /** Weight of a new sample in the per-sample EWMA. */
  static final double ALPHA = 0.2;
  /** A failure counts as at least this slow. */
  public static final long FAILURE_PENALTY_MIN_NANOS = 1_000_000_000L;
  /** A failure counts as at most this slow (unless it really took longer), so repeated failures do not grow without bound. */
  public static final long FAILURE_PENALTY_MAX_NANOS = 60_000_000_000L;
  /** A failure counts as this many times the current EWMA, between the two bounds above. */
  static final double FAILURE_PENALTY_FACTOR = 10.0;
  /** Time constant of the peak EWMA's decay. */
  public static final long PEAK_DECAY_NANOS = 10_000_000_000L;

  /** A sample older than this no longer says how fast the backend is now. */
  public static final long STALE_NANOS = PEAK_DECAY_NANOS;

  private static final double PEAK_DECAY_MILLIS = PEAK_DECAY_NANOS / 1e6;

  private static final VarHandle EWMA_BITS;

  static {
    try {
      EWMA_BITS = MethodHandles.lookup().findVarHandle(LatencyEstimate.class, "ewmaBits", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // A field rather than an AtomicLong: least-response-time reads it for every backend on every pick.
  // The raw bits of 0.0 are 0, the field's initial value.
  private volatile long ewmaBits;
  // One word so a single CAS moves both: the high 32 bits hold the peak EWMA as float bits, the low
  // 32 bits the clock in milliseconds at its last update (wrapping; compared unsigned, so exact for
  // gaps under 49 days, which is far past the point where the decay has reached zero anyway).
  private final AtomicLong peak = new AtomicLong();
  // ln(peak) + time/decay constant at the last update: the decayed peak at any later time t is
  // exp(rank - t/decay), so two backends' peaks compare by rank alone, with no clock read and no
  // exp() per candidate on the hot path. Written after the peak's CAS, so it may briefly lag a
  // concurrent update. -Infinity (ln 0) before the first sample.
  private volatile double peakRank = Double.NEGATIVE_INFINITY;
  private volatile long sampledAtNanos;

  /** Records one finished request at {@code nowNanos}. */
  public void record(long latencyNanos, boolean failed, long nowNanos) {
    double sample = Math.max(0, latencyNanos);
    if (failed) {
      sample = Math.max(sample, penalty(ewmaNanos()));
    }
    updateEwma(sample, nowNanos - sampledAtNanos > STALE_NANOS);
    updatePeak(sample, nowNanos);
    sampledAtNanos = nowNanos;
  }

  static double penalty(double ewma) {
    return Math.min(
        Math.max(FAILURE_PENALTY_FACTOR * ewma, FAILURE_PENALTY_MIN_NANOS), FAILURE_PENALTY_MAX_NANOS);
  }

  private void updateEwma(double sample, boolean stale) {
    while (true) {
      long bits = ewmaBits;
      double old = Double.longBitsToDouble(bits);
      double next = old == 0.0 || stale ? sample : old + ALPHA * (sample - old);
      if (EWMA_BITS.compareAndSet(this, bits, Double.doubleToRawLongBits(next))) {
        return;
      }
    }
  }

  private void updatePeak(double sample, long nowNanos) {
    int nowMillis = millis(nowNanos);
    while (true) {
      long word = peak.get();
      double cost = cost(word);
      double next;
      if (sample > cost) {
        next = sample;
      } else {
        double w = decay(word, nowMillis);
        next = cost * w + sample * (1 - w);
      }
      long updated = ((long) Float.floatToRawIntBits((float) next) << 32) | (nowMillis & 0xFFFFFFFFL);
      if (peak.compareAndSet(word, updated)) {
        peakRank = Math.log(next) + nowNanos / (double) PEAK_DECAY_NANOS;
        return;
      }
    }
  }

  /** The per-sample EWMA in nanoseconds, failures penalised; 0 before the first sample. */
  public double ewmaNanos() {
    return Double.longBitsToDouble(ewmaBits);
  }

  /** The peak EWMA in nanoseconds at {@code nowNanos}, decayed since its last sample; 0 before the first sample. */
  public double peakEwmaNanos(long nowNanos) {
    long word = peak.get();
    double cost = cost(word);
    return cost == 0.0 ? 0.0 : cost * decay(word, millis(nowNanos));
  }

  /**
   * The peak EWMA as a rank: of two backends, the one with the lower rank has the lower peak EWMA
   * at any common time, and {@code exp(rankA - rankB)} is the ratio of their peaks. -Infinity
   * before the first sample.
   */
  public double peakRank() {
    return peakRank;
  }

  /** When the last sample was recorded (clock nanoseconds); 0 before the first. */
  public long sampledAtNanos() {
    return sampledAtNanos;
  }

  /** Forgets every sample. */
  public void reset() {
    ewmaBits = 0L;
    peak.set(0L);
    peakRank = Double.NEGATIVE_INFINITY;
    sampledAtNanos = 0L;
  }

  private static double cost(long word) {
    return Float.intBitsToFloat((int) (word >>> 32));
  }

  private static double decay(long word, int nowMillis) {
    long elapsed = Integer.toUnsignedLong(nowMillis - (int) word);
    return Math.exp(-elapsed / PEAK_DECAY_MILLIS);
  }

  private static int millis(long nanos) {
    return (int) Math.floorDiv(nanos, 1_000_000L);
  }
}
