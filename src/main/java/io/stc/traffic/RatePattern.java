package io.stc.traffic;

/**
 * A target request rate as a pure function of the time since the start of a run: the same
 * parameters and seed always give the same curve, and nothing depends on the wall clock, so a
 * virtual-time simulator can evaluate it as well as the live load generator.
 */
public interface RatePattern {
  /** Rates are held constant over grid steps of this many seconds when turned into send times. */
  double GRID_SECONDS = 0.001;

  /** Requests per second wanted {@code seconds} after the start; finite and never negative. */
  double rate(double seconds);

  /**
   * The mean rate over {@code [from, to)} exactly as the send schedule sees it: the rate is sampled
   * at the start of each {@link #GRID_SECONDS} step and held over the step.
   */
  default double mean(double from, double to) {
    if (!(to > from)) {
      throw new IllegalArgumentException("mean needs from < to, got [" + from + ", " + to + ")");
    }
    long first = (long) Math.floor(from / GRID_SECONDS);
    long last = (long) Math.ceil(to / GRID_SECONDS);
    double sum = 0;
    for (long k = first; k < last; k++) {
      double stepStart = Math.max(from, k * GRID_SECONDS);
      double stepEnd = Math.min(to, (k + 1) * GRID_SECONDS);
      if (stepEnd > stepStart) {
        sum += rate(k * GRID_SECONDS) * (stepEnd - stepStart);
      }
    }
    return sum / (to - from);
  }
}
