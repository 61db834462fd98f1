package io.stc.traffic;

/**
 * The base rate with one large spike in the middle of the run:
 * {@code r(t) = 10 * rate} while {@code |t - D/2| < W/2}, else {@code rate}, with duration
 * {@code D} and spike width {@code W = D/20} (3 s of a 60 s run). The mean over {@code [0, D)} is
 * {@code 1.45 * rate}.
 */
public final class Spike implements RatePattern {
  static final double FACTOR = 10;
  static final double WIDTH_FRACTION = 1.0 / 20;

  private final double rate;
  private final double start;
  private final double end;

  public Spike(double rate, double durationSeconds) {
    this.rate = PatternArguments.positive("rate", rate);
    double duration = PatternArguments.positive("duration", durationSeconds);
    double width = duration * WIDTH_FRACTION;
    this.start = duration / 2 - width / 2;
    this.end = duration / 2 + width / 2;
  }

  @Override
  public double rate(double seconds) {
    return seconds >= start && seconds < end ? rate * FACTOR : rate;
  }
}
