package io.stc.traffic;

import java.util.SplittableRandom;

/**
 * Arrival times of a Poisson process whose rate follows a {@link RatePattern}: the next arrival
 * comes when the integral of the rate since the previous one reaches an Exp(1) draw (time
 * rescaling). The rate is held over {@link RatePattern#GRID_SECONDS} steps, as in {@link Schedule}.
 */
final class PoissonArrivals {
  private final RatePattern pattern;
  private final double end;
  private final SplittableRandom random;
  private double t;
  private long step;
  private double stepRate;

  PoissonArrivals(RatePattern pattern, double endSeconds, SplittableRandom random) {
    this.pattern = pattern;
    this.end = endSeconds;
    this.random = random;
    this.stepRate = pattern.rate(0);
  }

  /** Seconds from the start of the next arrival, or {@code NaN} once the run is over. */
  double next() {
    double need = exponential(random);
    while (t < end) {
      double stepEnd = Math.min((step + 1) * RatePattern.GRID_SECONDS, end);
      double gain = stepRate * (stepEnd - t);
      if (gain >= need) {
        t = Math.min(t + need / stepRate, stepEnd);
        return t < end ? t : Double.NaN;
      }
      need -= gain;
      t = stepEnd;
      step++;
      stepRate = pattern.rate(step * RatePattern.GRID_SECONDS);
    }
    return Double.NaN;
  }

  /** An Exp(1) draw. */
  static double exponential(SplittableRandom random) {
    return -Math.log(1 - random.nextDouble());
  }
}
