package io.stc.scale;

/**
 * The arrival rate as a level and a slope, estimated from the rate measured each interval by a
 * Kalman filter (a local linear trend): it averages over long stretches when the rate is smooth and
 * follows closely when it wanders, because how much the level itself moves is estimated from how
 * far consecutive measurements differ beyond counting noise (Poisson: a rate r measured over t
 * seconds varies by r / t). A measurement far outside what the filter expected (a step) restarts
 * the level there at once. It also forecasts: the rate some seconds ahead, and how uncertain that
 * is.
 */
final class RateFilter {
  /** A measurement this many standard deviations off the prediction is a step, not noise. */
  private static final double STEP_SIGMAS = 5;
  /** Weight of the newest interval in the estimate of how much the level moves. */
  private static final double VOLATILITY_WEIGHT = 0.01;
  /**
   * How many standard errors the level's movement must stand above counting noise to count: the
   * difference of two noisy measurements squared scatters by about 2.8 times the noise variance.
   */
  private static final double VOLATILITY_SIGMAS = 3;
  /**
   * A squared difference of consecutive measurements counts up to this many times what it is
   * expected to be (three standard deviations of a normal difference).
   */
  private static final double OUTLIER = 9;
  /**
   * The least the level and the slope are assumed to move, per second, relative to the counting
   * noise: without it the filter would come to trust a straight line for ever and lag behind any
   * curve. With these, a steady rate is averaged over about ten seconds.
   */
  private static final double LEVEL_NOISE = 2.5e-3;
  private static final double SLOPE_NOISE = 1e-5;
  /**
   * After a step the rate is taken to move as much as a tenth of the step's square a second, but
   * that fades by half every this many seconds: a step says where the rate went, not that it keeps
   * moving so (after a burst's edge it may well come back), and how much it does move is learned
   * from the intervals that follow, as for any rate. Kept in that estimate, as it was, it faded over
   * minutes: one interval of a real run's start-up, while clients waited to connect, read a tenth
   * of the rate, and the forecast's deviation stayed five to ten times the rate's for two and a half
   * minutes, with the pool held at twice what it needed.
   */
  private static final double STEP_HALF_LIFE_SECONDS = 3;

  private boolean started;
  private double level;
  private double slope;
  private double pLL;
  private double pLS;
  private double pSS;
  private double lastMeasured = Double.NaN;
  private double lastNoise;
  /** How much the level moves, as a variance per second, beyond counting noise: averaged, may read below 0. */
  private double drift;
  /** Counting noise per second, averaged as {@link #drift} is. */
  private double noiseLevel;
  /** How much the level is taken to move after a step, as a variance per second; fades by half every {@link #STEP_HALF_LIFE_SECONDS}. */
  private double stepVolatility;
  private boolean stepped;

  /** Takes the rate measured over the last {@code seconds}. */
  void add(double seconds, double measured) {
    if (seconds <= 0) {
      return;
    }
    double noise = Math.max(measured, 1) / seconds;
    if (!started) {
      started = true;
      level = measured;
      slope = 0;
      pLL = noise;
      pLS = 0;
      pSS = noise / 100;
      lastMeasured = measured;
      lastNoise = noise;
      noiseLevel = noise / seconds;
      return;
    }
    stepVolatility *= Math.pow(0.5, seconds / STEP_HALF_LIFE_SECONDS);
    double diff = measured - lastMeasured;
    // Not clipped at 0, so that counting noise averages out instead of adding up; clipped at
    // OUTLIER times what the noise and the movement learned so far make expected, so that one
    // interval far off (a step, a stall) moves the estimate by a little, not by its square, while
    // a rate that really moves more raises it a few percent an interval.
    double expected = noise + lastNoise + Math.max(0, drift) * seconds;
    double beyond = (Math.min(diff * diff, OUTLIER * expected) - noise - lastNoise) / seconds;
    drift += VOLATILITY_WEIGHT * (beyond - drift);
    noiseLevel += VOLATILITY_WEIGHT * (noise / seconds - noiseLevel);
    double volatility = volatility();
    lastMeasured = measured;
    lastNoise = noise;

    // Predict.
    double qL = (volatility + LEVEL_NOISE * noiseLevel) * seconds;
    double qS = SLOPE_NOISE * (volatility + noiseLevel) * seconds;
    level += slope * seconds;
    double nLL = pLL + 2 * seconds * pLS + seconds * seconds * pSS + qL;
    double nLS = pLS + seconds * pSS;
    double nSS = pSS + qS;
    // Update.
    double innovation = measured - level;
    double variance = nLL + noise;
    stepped = innovation * innovation > STEP_SIGMAS * STEP_SIGMAS * variance;
    if (stepped) {
      // A step: start over from where the rate is now, uncertain about the trend.
      level = measured;
      slope = 0;
      pLL = noise;
      pLS = 0;
      pSS = noise;
      stepVolatility = Math.max(stepVolatility, innovation * innovation / seconds / 10);
      return;
    }
    double kL = nLL / variance;
    double kS = nLS / variance;
    level += kL * innovation;
    slope += kS * innovation;
    pLL = (1 - kL) * nLL;
    pLS = (1 - kL) * nLS;
    pSS = nSS - kS * nLS;
  }

  /** The rate now. */
  double level() {
    return Math.max(0, level);
  }

  /** How fast it changes, per second. */
  double slope() {
    return slope;
  }

  /** Whether the last measurement was a step away from what was expected. */
  boolean stepped() {
    return stepped;
  }

  /** The rate expected {@code seconds} ahead. */
  double forecast(double seconds) {
    return Math.max(0, level + slope * seconds);
  }

  /** The standard deviation of that forecast: what is not known now plus how far the rate may move meanwhile. */
  double forecastError(double seconds) {
    double v = pLL + 2 * seconds * pLS + seconds * seconds * pSS + volatility() * seconds;
    return Math.sqrt(Math.max(0, v));
  }

  /**
   * Whether the level itself wanders, beyond counting noise, by {@code share} of itself or more
   * within {@code seconds} (one standard deviation), as learned from the intervals: a random walk
   * does, a steady or a smooth rate does not, and one step does not make a rate a random walk.
   */
  boolean wanders(double seconds, double share) {
    return Math.sqrt(learnedVolatility() * seconds) > share * level();
  }

  /** Whether it wanders so, or moved by a step lately: in either case where it goes next is not known. */
  boolean unsettled(double seconds, double share) {
    return Math.sqrt(volatility() * seconds) > share * level();
  }

  /** How much the level moves, variance per second: what stands out of the counting noise, and a step's lately. */
  private double volatility() {
    return learnedVolatility() + stepVolatility;
  }

  /** How much the level moves beyond counting noise, as the intervals showed it, variance per second; else 0. */
  private double learnedVolatility() {
    double error = 2.8 * noiseLevel * Math.sqrt(VOLATILITY_WEIGHT / 2);
    return Math.max(0, drift - VOLATILITY_SIGMAS * error);
  }
}
