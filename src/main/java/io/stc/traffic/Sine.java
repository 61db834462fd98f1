package io.stc.traffic;

/**
 * A daily-like cycle compressed into the run: {@code r(t) = rate * (1 + 0.8 * sin(2*pi*t / P))}
 * with period {@code P} equal to the duration. It peaks at {@code 1.8 * rate} at {@code P/4},
 * bottoms at {@code 0.2 * rate} at {@code 3P/4}, and its mean over a whole period is {@code rate}.
 */
public final class Sine implements RatePattern {
  static final double AMPLITUDE = 0.8;

  private final double rate;
  private final double period;

  public Sine(double rate, double durationSeconds) {
    this.rate = PatternArguments.positive("rate", rate);
    this.period = PatternArguments.positive("duration", durationSeconds);
  }

  @Override
  public double rate(double seconds) {
    return rate * (1 + AMPLITUDE * Math.sin(2 * Math.PI * seconds / period));
  }
}
