package io.stc.traffic;

/**
 * The intended send times of an open-loop run: request {@code k} is due when the integral of the
 * (scaled) rate since the start reaches {@code k - phase}. The rate is sampled once per
 * {@link RatePattern#GRID_SECONDS} step, so the times depend only on the pattern, never on when
 * they are asked for.
 */
public final class Schedule {
  private final RatePattern pattern;
  private final double scale;
  private final double end;
  private double firstNeed;
  private double t;
  private long step;
  private double stepRate;

  /**
   * @param scale multiplies the pattern's rate, e.g. {@code 1/n} when {@code n} schedules share it
   * @param endSeconds no request is due at or after this time
   * @param phase in {@code [0, 1)}: how far the first request is advanced, to interleave
   *     schedules that share a pattern
   */
  public Schedule(RatePattern pattern, double scale, double endSeconds, double phase) {
    if (!(phase >= 0 && phase < 1)) {
      throw new IllegalArgumentException("phase must be in [0, 1), got " + phase);
    }
    this.pattern = pattern;
    this.scale = scale;
    this.end = endSeconds;
    this.firstNeed = 1 - phase;
    this.stepRate = pattern.rate(0) * scale;
  }

  /** Seconds from the start at which the next request is due, or {@code NaN} once the run is over. */
  public double next() {
    double need = firstNeed;
    firstNeed = 1;
    while (t < end) {
      double stepEnd = Math.min((step + 1) * RatePattern.GRID_SECONDS, end);
      double gain = stepRate * Math.max(0, stepEnd - t);
      if (gain >= need) {
        t = Math.min(t + need / stepRate, stepEnd);
        return t < end ? t : Double.NaN;
      }
      need -= gain;
      t = stepEnd;
      step++;
      stepRate = pattern.rate(step * RatePattern.GRID_SECONDS) * scale;
    }
    return Double.NaN;
  }
}
