package io.stc.scale;

/**
 * The arrival rate as a level and a slope, estimated from the rate measured each interval by a
 * Kalman filter (a local linear trend): it averages over long stretches when the rate is smooth and
 * follows closely when it wanders, because how much the level itself moves is estimated from how
 * far measurements differ beyond counting noise (Poisson: a rate r measured over t seconds varies
 * by r / t). Measurements one and ten intervals apart tell a level that moves (their differences
 * grow with the time between them) from measurements that scatter around a level that does not
 * (requests that come in clumps: their differences do not grow), and the scatter is averaged
 * away as counting noise is. A measurement far outside what the filter expected (a step) restarts
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
  /**
   * Measurements this many intervals apart tell how much the level moves from how much the
   * measurements scatter around it: the squared difference of two measurements is the scatter
   * twice plus the level's movement between them, which grows with the time between them and the
   * scatter does not.
   */
  private static final int LAG = 10;

  private boolean started;
  private double level;
  private double slope;
  private double pLL;
  private double pLS;
  private double pSS;
  private double lastMeasured = Double.NaN;
  private double lastNoise;
  /**
   * The squared difference of consecutive measurements beyond their counting noise, averaged (may
   * read below 0): twice the scatter plus how much the level moved in an interval.
   */
  private double near;
  /** The seconds an interval took, averaged alike. */
  private double nearSeconds;
  private long nearCount;
  private long laggedCount;
  /** Counting noise per second, averaged as {@link #near} is. */
  private double noiseLevel;
  /** The squared difference of measurements {@link #LAG} intervals apart beyond their counting noise, averaged as {@link #near} is. */
  private double lagged;
  /** The seconds those {@link #LAG} intervals spanned, averaged alike. */
  private double lagSeconds;
  /** The last measurements, their counting noise and the seconds they covered, {@link #LAG} + 1 of them in a ring. */
  private final double[] history = new double[LAG + 1];
  private final double[] historyNoise = new double[LAG + 1];
  private final double[] historySeconds = new double[LAG + 1];
  private int measurements;
  /** What the averages say, read once they move: the level's movement (variance per second), the scatter, and the movement that stands out of its noise. */
  private double movement;
  private double scatter;
  private double learnedVolatility;
  /** How much the level is taken to move after a step, as a variance per second; fades by half every {@link #STEP_HALF_LIFE_SECONDS}. */
  private double stepVolatility;
  private boolean stepped;

  /** Takes the rate measured over the last {@code seconds}. */
  void add(double seconds, double measured) {
    if (seconds <= 0) {
      return;
    }
    double noise = Math.max(measured, 1) / seconds;
    int slot = measurements % (LAG + 1);
    int lagSlot = (measurements + 1) % (LAG + 1);
    double lagMeasured = history[lagSlot];
    double lagNoise = historyNoise[lagSlot];
    history[slot] = measured;
    historyNoise[slot] = noise;
    historySeconds[slot] = seconds;
    measurements++;
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
    near += VOLATILITY_WEIGHT * (beyond(measured, noise, lastMeasured, lastNoise, scatter, movement * seconds) - near);
    nearSeconds += VOLATILITY_WEIGHT * (seconds - nearSeconds);
    nearCount++;
    if (measurements > LAG + 1) {
      double span = 0;
      for (double t : historySeconds) {
        span += t;
      }
      span -= historySeconds[lagSlot];
      lagged += VOLATILITY_WEIGHT * (beyond(measured, noise, lagMeasured, lagNoise, scatter, movement * span) - lagged);
      lagSeconds += VOLATILITY_WEIGHT * (span - lagSeconds);
      laggedCount++;
    }
    noiseLevel += VOLATILITY_WEIGHT * (noise / seconds - noiseLevel);
    readAverages();
    double volatility = volatility();
    lastMeasured = measured;
    lastNoise = noise;

    // Predict.
    double qL = (volatility + LEVEL_NOISE * (noiseLevel + scatter / seconds)) * seconds;
    double qS = SLOPE_NOISE * (volatility + noiseLevel + scatter / seconds) * seconds;
    level += slope * seconds;
    double nLL = pLL + 2 * seconds * pLS + seconds * seconds * pSS + qL;
    double nLS = pLS + seconds * pSS;
    double nSS = pSS + qS;
    // Update.
    double innovation = measured - level;
    double variance = nLL + noise + scatter;
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

  /**
   * The squared difference of two measurements beyond their counting noise. Not clipped at 0, so
   * that counting noise averages out instead of adding up; clipped at OUTLIER times what the noise,
   * the scatter and the movement learned so far make expected, so that one interval far off (a
   * step, a stall) moves the estimate by a little, not by its square, while a rate that really
   * moves more raises it a few percent an interval.
   *
   * @param moved the variance the level's movement learned so far gives over the time between them
   */
  private static double beyond(double a, double aNoise, double b, double bNoise, double scatter, double moved) {
    double diff = a - b;
    double expected = aNoise + bNoise + 2 * scatter + moved;
    return Math.min(diff * diff, OUTLIER * expected) - aNoise - bNoise;
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
    return Math.sqrt(learnedVolatility * seconds) > share * level();
  }

  /** Whether it wanders so, or moved by a step lately: in either case where it goes next is not known. */
  boolean unsettled(double seconds, double share) {
    return Math.sqrt(volatility() * seconds) > share * level();
  }

  /** How much the level moves, variance per second: what stands out of the counting noise, and a step's lately. */
  private double volatility() {
    return learnedVolatility + stepVolatility;
  }

  /** How far single measurements scatter around the level beyond counting noise, as a variance of the rate. */
  double scatter() {
    return scatter;
  }

  /**
   * Reads the averages anew: how much the level moves, variance per second, from the squared
   * differences of measurements one and {@link #LAG} intervals apart (the scatter is in both once,
   * the movement grows with the time between them; before {@link #LAG} intervals, all the difference
   * is taken as movement); the scatter, the rest; and the movement that stands beyond the standard
   * error counting noise and scatter leave in it. Each is weighed in as the averages fill from
   * nothing, so a filter that has seen a few intervals takes the rate as steadier than they say, as
   * one average of the squared differences alone did.
   */
  private void readAverages() {
    double filled = 1 - Math.pow(1 - VOLATILITY_WEIGHT, nearCount);
    double nearMean = near / filled;
    double seconds = nearSeconds / filled;
    double span = seconds;
    double moves = Math.max(0, nearMean / seconds);
    double scattered = 0;
    if (laggedCount > 0) {
      double lagFilled = 1 - Math.pow(1 - VOLATILITY_WEIGHT, laggedCount);
      span = lagSeconds / lagFilled - seconds;
      moves = span > 0 ? Math.max(0, (lagged / lagFilled - nearMean) / span) : 0;
      scattered = Math.max(0, (nearMean - moves * seconds) / 2);
    }
    movement = filled * moves;
    scatter = filled * scattered;
    // The standard error, per second, that counting noise and scatter leave in the average of the
    // squared differences (or in the difference of the two averages, once there are two).
    double averages = laggedCount == 0 ? 1 : 2;
    double error = 2.8 * (noiseLevel * seconds + scatter) * Math.sqrt(averages * VOLATILITY_WEIGHT / 2) / Math.max(seconds, span);
    learnedVolatility = Math.max(0, movement - VOLATILITY_SIGMAS * error);
  }
}
