package io.stc.traffic;

/** A constant rate: {@code r(t) = rate}. */
public final class Steady implements RatePattern {
  private final double rate;

  public Steady(double rate) {
    this.rate = PatternArguments.positive("rate", rate);
  }

  @Override
  public double rate(double seconds) {
    return rate;
  }
}
