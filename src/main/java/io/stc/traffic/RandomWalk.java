package io.stc.traffic;

import java.util.Random;

/**
 * A bounded random walk: knots one second apart, {@code w_0 = rate} and
 * {@code w_(i+1) = clamp(w_i + 0.1 * rate * g_i, rate/10, 2 * rate)} with {@code g_i} standard
 * normal from {@code java.util.Random(seed)}; {@code r(t)} interpolates linearly between knots,
 * so it stays in {@code [rate/10, 2 * rate]}. Before 0 it is {@code w_0}, after the duration the
 * last knot.
 */
public final class RandomWalk implements RatePattern {
  static final double STEP_FRACTION = 0.1;
  static final double MIN_FACTOR = 0.1;
  static final double MAX_FACTOR = 2;

  private final double[] knots;

  public RandomWalk(double rate, double durationSeconds, long seed) {
    PatternArguments.positive("rate", rate);
    double duration = PatternArguments.positive("duration", durationSeconds);
    double low = rate * MIN_FACTOR;
    double high = rate * MAX_FACTOR;
    knots = new double[(int) Math.ceil(duration) + 1];
    Random random = new Random(seed);
    knots[0] = rate;
    for (int i = 1; i < knots.length; i++) {
      double next = knots[i - 1] + STEP_FRACTION * rate * random.nextGaussian();
      knots[i] = Math.min(high, Math.max(low, next));
    }
  }

  @Override
  public double rate(double seconds) {
    if (!(seconds > 0)) {
      return knots[0];
    }
    int i = (int) Math.floor(seconds);
    if (i >= knots.length - 1) {
      return knots[knots.length - 1];
    }
    double fraction = seconds - i;
    return knots[i] + (knots[i + 1] - knots[i]) * fraction;
  }
}
