package io.stc.traffic;

/**
 * A linear ramp from a tenth of the rate up to the full rate over the duration, then held:
 * {@code r(t) = rate/10 + (rate - rate/10) * clamp(t / D, 0, 1)} where {@code D} is the duration.
 * The mean over {@code [0, D)} is {@code 0.55 * rate} and the slope {@code 0.9 * rate / D}.
 */
public final class Gradual implements RatePattern {
  private final double rate;
  private final double duration;

  public Gradual(double rate, double durationSeconds) {
    this.rate = PatternArguments.positive("rate", rate);
    this.duration = PatternArguments.positive("duration", durationSeconds);
  }

  @Override
  public double rate(double seconds) {
    double progress = Math.min(1.0, Math.max(0.0, seconds / duration));
    double floor = rate / 10;
    return floor + (rate - floor) * progress;
  }
}
