package io.stc.scale;

import static io.stc.scale.Decision.ceil;
import static io.stc.scale.Decision.num;
import static io.stc.scale.Decision.seconds;

import io.stc.scale.ScaleSnapshot.Load;
import java.time.Duration;

/**
 * Sizes the pool from queueing rather than thresholds: enough instances for the arrival rate at
 * the throughput one instance gives while the latency objective holds, plus what drains the
 * queue, looking ahead by the measured start-up time.
 *
 * <p>By Little's law an instance running {@code c} requests at once, each taking {@code W(c)},
 * finishes {@code c / W(c)} a second; {@link ServiceModel} learns {@code W} from what the
 * instances did, for the mean instance; each instance's own speed beside it is learned too
 * ({@link InstanceSpeeds}), so the pool as it is serves what its instances do (a scale-down keeps
 * the fastest) and an instance a scale-up adds brings the mean. Which {@code c} to run at is
 * learned from the objective itself: while fewer than
 * half a percent of requests are slower than it, the target concurrency creeps up (a whole
 * request per ten seconds while fewer than 0.1% are; to {@code max_inflight} at most, and never
 * far beyond what instances have run at; only on evidence from instances that served half of what
 * they would at it, with no instance starting and no backlog lately); when more than 1% are, it
 * falls by 8%. The arrival rate ({@link RateFilter}) counts every request that wanted
 * an instance, so a queue or rejections never hide demand, and a backlog is sized as requests to
 * drain rather than read as a rate.
 *
 * <p>Up goes in one step, to what the rate forecast for one start-up time ahead needs, with a
 * standard deviation of the forecast as headroom (never more than the highest rate of the last
 * minute, unless the rate wanders as a random walk does and did not jump as a burst does lately),
 * plus what the pool as it is leaves of the queue by then, to drain within a start-up time, once
 * that is 5% more than the pool serves, or the rate expected is more than it serves at
 * {@code max_inflight} by more than counting noise. Down goes gently: to the highest rate
 * needed within the stable window, or within the last four start-up times (ten seconds at least)
 * when the rate clearly falls or wanders, where a need keeps three standard deviations and 5% of headroom,
 * over what an instance serves by the model as it is now, and only once one instance fewer would
 * serve that need with a deviation of the forecast to spare (after a burst's edge, the rate's
 * counting noise if less), and by a tenth of the pool at least; the band between the two is the
 * hysteresis that keeps noise from moving the pool. How long a need is held moves smoothly from
 * the stable window to four start-up times as the rate falls more clearly, so the start-up
 * estimate never flips it. Until anything was
 * measured it sizes as the concurrency policy does.
 */
final class SloPolicy implements ScalingPolicy {
  /** Headroom of a scale-up: standard deviations of the rate forecast at the start-up horizon. */
  private static final double UP_SIGMAS = 1;
  /** Headroom a scale-down keeps: more than a scale-up's; the band in between is the hysteresis. */
  private static final double DOWN_SIGMAS = 3;
  /** How far the need must pass what the pool serves before a scale-up. */
  private static final double UP_MARGIN = 0.05;
  /** Headroom a scale-down keeps besides that, so a pool whose need sits on a whole number does not flap. */
  private static final double DOWN_MARGIN = 0.05;
  /**
   * A scale-down takes at least this share of the pool away, as the Kubernetes HPA's tolerance
   * does. Without it, a pool of thirty is one instance, 3%, from its next scale-down, less than the
   * estimates under it wander on a steady load: the need held drifts by 1-2% as the rate filter
   * settles over minutes, and what an instance serves by 2-6% as the model's points age. Each such
   * drift took an instance away minutes after the pool had settled (11 of 36 steady runs of the
   * matrix had a scale event after two minutes), and some were asked back when the queue of a pool
   * run at 97% showed it. A pool of ten or fewer still moves by one instance, and any pool does
   * after a burst's edge.
   */
  static final double DOWN_TOLERANCE = 0.1;
  /** A scale-down keeps the highest need of this many start-up times, and of {@link #MIN_HOLD} at least. */
  private static final double HOLD_STARTUPS = 4;
  private static final Duration MIN_HOLD = Duration.ofSeconds(10);
  /** Headroom never sizes for more than the highest rate measured within this. */
  private static final long PEAK_NANOS = Duration.ofMinutes(1).toNanos();
  /** The share of requests that may be slower than the objective: it is a p99. */
  private static final double SLOW_SHARE = 0.01;
  /** How often the target concurrency may move, and over how long the slow share is counted. */
  private static final long ADJUST_NANOS = Duration.ofSeconds(10).toNanos();
  private static final long SLOW_WINDOW_NANOS = Duration.ofSeconds(30).toNanos();
  /** Requests the slow share must be counted over before the target moves. */
  private static final long MIN_COUNTED = 100;
  /**
   * A rate that wanders by this share of itself within a start-up time (one standard deviation, a
   * random walk's way) keeps no stable window's peak when it goes down: the forecast's deviations
   * hold what it may come back to. Nor, unless it jumped lately (a burst), is a scale-up capped at
   * the last minute's peak: a wandering rate goes beyond it as often as not.
   */
  private static final double WANDERING = 0.05;
  /** A burst's edge: the rate of one interval this many times the last one's (or a fraction), by this many deviations of counting noise. */
  private static final double JUMP_FACTOR = 3;
  private static final double JUMP_SIGMAS = 5;
  /**
   * How long a jump marks the rate as bursty: the rate filter's measure of how much the level
   * moves takes about this long to forget a jump, and would read as a wandering rate meanwhile.
   */
  private static final long JUMP_MEMORY_NANOS = Duration.ofMinutes(10).toNanos();
  /**
   * The target only rises on evidence from instances that served this share at least of what
   * they would at the target: fast requests on an oversized pool (after a start-up's overshoot,
   * or at {@code min}) say nothing about how the instances would do at the target. A share of
   * throughput, not of concurrency: near saturation a little headroom in requests a second is a
   * lot in concurrency.
   */
  private static final double NEAR_TARGET = 0.5;
  /** How the target concurrency moves: down by a factor; up by a step, a bigger one when hardly a request is slow. */
  private static final double TARGET_DOWN = 0.92;
  private static final double TARGET_UP = 0.25;
  private static final double TARGET_UP_FAST = 1;
  /** A new reading of the time a request alone takes replaces the last one when it is continued this much less far. */
  private static final double BETTER_REACH = 0.8;
  /** Without an objective: this many times the p99 a request alone on an instance is estimated to take. */
  static final double DERIVED_SLO_FACTOR = 4;

  private final long sloNanos;
  private final double maxInflight;
  private final double defaultStartupSeconds;
  private final long stableNanos;
  private final ServiceModel model;
  private final InstanceSpeeds speeds;
  private final RateFilter rates = new RateFilter();
  private final SlidingWindow needs = new SlidingWindow(Duration.ofMinutes(10).toNanos());
  private final SlidingWindow peaks = new SlidingWindow(PEAK_NANOS);
  private final SlidingWindow counted = new SlidingWindow(SLOW_WINDOW_NANOS);
  private final SlidingWindow slow = new SlidingWindow(SLOW_WINDOW_NANOS);
  /** Requests that ended times what an instance finished a second then: their mean is how loaded the evidence is. */
  private final SlidingWindow servedAt = new SlidingWindow(SLOW_WINDOW_NANOS);
  private double target;
  /** The time a request alone takes, as last measured well enough to derive the objective from; 0 before. */
  private double aloneSeconds;
  /** How far below the concurrencies seen {@code aloneSeconds} was continued when it was read ({@link ServiceModel#aloneReach}). */
  private double aloneReach = Double.MAX_VALUE;
  private long lastAdjustNanos = Long.MIN_VALUE;
  /** When an instance was last starting, or a backlog waited: the objective's evidence is not the target's then. */
  private long lastPendingNanos = Long.MIN_VALUE;
  /** When the rate last jumped (to three times or a third of the last interval's, beyond counting noise): a burst's edge. */
  private long lastJumpNanos = Long.MIN_VALUE;
  private double lastArrivalRate = Double.NaN;

  /**
   * @param slo the p99 objective; zero to derive it from what the instances are measured to do
   * @param maxInflight the most requests the proxy lets an instance have at once
   * @param target the concurrency per instance to start from, before the objective is measured
   * @param stableWindow how long a rate that does not clearly fall must stay low before instances
   *     go; five of them are how long what the instances did keeps half its weight in the model
   * @param startTimeout what a start-up is assumed to take, at most, until one was measured
   */
  SloPolicy(Duration slo, int maxInflight, double target, Duration stableWindow, Duration startTimeout) {
    this.sloNanos = slo.toNanos();
    this.maxInflight = maxInflight;
    this.target = Math.max(1, Math.min(target, maxInflight));
    this.defaultStartupSeconds = Math.min(10, startTimeout.toNanos() / 1e9);
    this.stableNanos = stableWindow.toNanos();
    this.speeds = new InstanceSpeeds(5 * stableWindow.toNanos() / 1e9);
    this.model = new ServiceModel(5 * stableWindow.toNanos() / 1e9, speeds::of);
  }

  @Override
  public String name() {
    return "slo";
  }

  /** The concurrency per instance the pool is sized for at the moment. */
  double target() {
    return target;
  }

  @Override
  public Decision decide(ScaleSnapshot s, long now) {
    Load load = s.load();
    speeds.observe(load, model);
    model.observe(load);
    // The objective derived from it moves only on better evidence: instances seen at a lower
    // concurrency than when it was last read (or at about one request, read directly). A steady
    // load runs at one concurrency for hours, and each new reading continued from there lands
    // elsewhere by the slope's noise (23 ms, then 34, then 70 on one run), moving the objective,
    // the slow share and the target, and the pool with them, however steady the load.
    if (aloneSeconds == 0 || model.aloneMeasured()
        && (model.aloneReach() <= 0.5 || model.aloneReach() < aloneReach * BETTER_REACH)) {
      aloneSeconds = model.alone();
      aloneReach = model.aloneReach();
    }
    rates.add(load.seconds(), load.arrivalRate());
    if (load.seconds() > 0) {
      peaks.add(now, load.arrivalRate());
      if (jumped(lastArrivalRate, load.arrivalRate(), load.seconds())) {
        lastJumpNanos = now;
      }
      lastArrivalRate = load.arrivalRate();
    }
    int current = s.current();
    if (s.pending() > 0) {
      lastPendingNanos = now;
    }
    if (!model.known()) {
      int desired = Math.max(current, ceil(s.demand() / target));
      return new Decision(desired, "nothing measured yet: in-flight+queued " + num(s.demand()) + " / " + num(target)
          + " -> " + desired);
    }
    double objective = objectiveMillis();
    if (load.requests() > 0) {
      counted.add(now, load.requests());
      slow.add(now, load.slowerThan(objective));
      servedAt.add(now, load.requests() * load.completionRate() / Math.max(1, s.ready()));
    }
    if (s.queueDepth() > s.ready() * model.throughputAt(target)) {
      // More waits than the pool serves in a second: requests are slow because the pool is short,
      // which says nothing about the concurrency to run at (a start-up's backlog, a step).
      lastPendingNanos = now;
    }
    if (objective > 0) {
      adjustTarget(now);
    }
    // Never sized for much more than instances were seen to run at: shrink towards it step by step.
    double concurrency = Math.min(target, model.explorationLimit());
    double perInstance = model.throughputAt(concurrency);
    // The instances as they are, fastest first: what n of them serve is what a scale-down to n
    // keeps (it stops the slowest); those a scale-up adds bring the mean.
    double[] pool = speeds.pool(load.instances(), current);
    double meanInstances = served(pool, current);
    double serving = meanInstances * perInstance;
    double startup = load.startupSeconds() > 0 ? load.startupSeconds() : defaultStartupSeconds;

    // Instances asked for now serve in `startup` seconds: size for the rate then, with headroom for
    // how far it may have moved by then, but not beyond where it went lately (bursts come back to
    // their height, not above it).
    double ahead = Math.max(rates.level(), rates.forecast(startup));
    double error = rates.forecastError(startup);
    boolean wanders = rates.wanders(startup, WANDERING);
    boolean jumpedLately = lastJumpNanos != Long.MIN_VALUE && now - lastJumpNanos < JUMP_MEMORY_NANOS;
    double peak = wanders && !jumpedLately ? Double.MAX_VALUE : Math.max(ahead, peaks.max(now, PEAK_NANOS));
    double rate = Math.min(ahead + UP_SIGMAS * error, peak);
    double drainSeconds = Math.max(2, startup);
    // What the pool as it is (starting instances included) leaves of the queue by the time an
    // instance asked for now could help: more for a queue it drains meanwhile arrive to nothing,
    // and a queue that grows while instances start is not asked for again in full at every decision.
    double backlog = Math.max(0, s.queueDepth() - Math.max(0, serving - rate) * startup);
    int up = instancesFor(pool, (rate + backlog / drainSeconds) / perInstance);
    // What a scale-down keeps is remembered as a rate, not as instances: a model that learns the
    // instances serve more than it thought lets them go at once, not a stable window later.
    double need = Math.min(ahead + DOWN_SIGMAS * error, peak) * (1 + DOWN_MARGIN);
    // A rate that clearly falls is let go after a few start-up times; one that only dips must stay
    // low for the whole stable window, or noise would take instances away that are needed again;
    // in between, the hold moves smoothly with how clearly it falls. A rate that wanders (a random
    // walk), or stepped lately, keeps a few start-ups too: the forecast's deviations already hold
    // what it may come back to, and its peak over a whole stable window would keep several more.
    // (Only a rate that wanders is sized beyond its last minute's peak: after one step, as after a
    // start-up's stall, the forecast's deviations are the step's, not a walk's.)
    long holdNanos = holdNanos(startup, error, rates.unsettled(startup, WANDERING));
    needs.add(now, need);
    double heldRate = needs.max(now, holdNanos);
    int held = instancesFor(pool, heldRate / perInstance);

    String why = "arrivals " + num(rates.level()) + "/s"
        + (Math.abs(rates.slope()) >= 0.01 ? " (" + (rates.slope() > 0 ? "+" : "") + num(rates.slope()) + "/s a second)" : "")
        + (rates.stepped() ? " (a step)" : "") + ", sized for " + num(rate) + "/s in " + num(startup) + "s"
        + (backlog > 0 ? " + queue " + Math.round(backlog) + " to drain in " + num(drainSeconds) + "s" : "")
        + " / " + num(perInstance) + "/s per instance at " + num(concurrency) + " in flight"
        + (Math.abs(serving - current * perInstance) >= 0.5 ? " (these " + current + " " + num(serving) + "/s)" : "")
        + " (p99 objective "
        + Math.round(objective) + " ms" + (sloNanos > 0 ? "" : ", derived") + ")";
    // Up when the pool falls short by more than rounding noise: a need that sits on a whole number
    // must not add and then take back an instance over and over.
    // Nor may the margin let the pool run past what it can serve at all: once the rate expected
    // (without headroom) is more than the instances finish at max_inflight, by more than its
    // counting noise, a queue grows however whole the numbers are (a sine's rising edge sized at
    // max_inflight waited for 5% over it, and its p99 went past the objective).
    double needed = rate + backlog / drainSeconds;
    double saturated = model.throughputAt(maxInflight) * meanInstances;
    if (up > current && (needed > serving * (1 + UP_MARGIN)
        || ahead + backlog / drainSeconds > saturated + countingNoise(saturated, load.seconds()))) {
      return new Decision(up, why + " -> " + up);
    }
    // Down only when one instance fewer would still serve the need held with a deviation of the
    // forecast to spare, and then to what the need held asks for: a need that sits just above a
    // whole number of instances must not take one away whenever the noise of a long steady load
    // dips its highest value in the window across (the counterpart of UP_MARGIN). After a burst's
    // edge the forecast's deviation measures the jump, not the rate's noise (the need is capped at
    // the burst's height then), so the spare is the counting noise of the rate held, if less.
    double spare = jumpedLately ? Math.min(error, countingNoise(heldRate, load.seconds())) : error;
    // After a burst's edge the rate itself moved, by far more than the estimates wander: what its
    // fall frees goes as it is freed, one instance or more.
    boolean beyondTolerance = jumpedLately || current - held >= DOWN_TOLERANCE * current - 1e-9;
    if (held < current && beyondTolerance && heldRate + spare <= served(pool, current - 1) * perInstance) {
      return new Decision(held, why + "; highest need of " + seconds(holdNanos) + " " + num(heldRate) + "/s -> " + held);
    }
    String tolerated = held < current && !beyondTolerance
        ? ", within the " + Math.round(DOWN_TOLERANCE * 100) + "% tolerance" : "";
    return new Decision(current, why + "; holding " + current + " (highest need of " + seconds(holdNanos) + ": "
        + num(heldRate) + "/s, " + held + tolerated + ")");
  }

  /** What the first {@code n} instances of {@code pool} serve, in mean instances; those beyond it bring one each. */
  static double served(double[] pool, int n) {
    double sum = 0;
    for (int i = 0; i < Math.min(n, pool.length); i++) {
      sum += pool[i];
    }
    return sum + Math.max(0, n - pool.length);
  }

  /** The fewest instances, the first of {@code pool} and then new ones, that serve {@code need} mean instances' worth. */
  static int instancesFor(double[] pool, double need) {
    double sum = 0;
    for (int i = 0; i < pool.length; i++) {
      if (sum >= need - 1e-9) {
        return i;
      }
      sum += pool[i];
    }
    return pool.length + Math.max(0, ceil(need - sum));
  }

  /**
   * How long a scale-down keeps the highest need: {@link #HOLD_STARTUPS} times how long the rate
   * takes to fall by one deviation of its forecast ({@code error / -slope}), between that many
   * start-up times (ten seconds at least) and the stable window. A rate that falls by its forecast's
   * deviation within a start-up or faster (or is unsettled: it wanders, or stepped lately) keeps
   * four start-ups; one that does not fall keeps the stable window; in between the hold moves with
   * the slope, so neither a slightly different slope nor a start-up estimate a fifth shorter turns
   * a hold of seconds into a minute.
   */
  private long holdNanos(double startup, double error, boolean unsettled) {
    long shortest = Math.min(stableNanos, Math.max(MIN_HOLD.toNanos(), (long) (HOLD_STARTUPS * startup * 1e9)));
    double fall = -rates.slope();
    if (unsettled) {
      return shortest;
    }
    if (fall <= 0) {
      return stableNanos;
    }
    double seconds = HOLD_STARTUPS * error / fall;
    return seconds * 1e9 >= stableNanos ? stableNanos : Math.max(shortest, (long) (seconds * 1e9));
  }

  /**
   * The counting noise of a rate measured over {@code seconds} (Poisson: its standard deviation is
   * {@code sqrt(rate / seconds)}): how far one interval's rate strays by chance. After a burst's
   * edge it is the spare a scale-down leaves instead of the forecast's deviation (many times the
   * rate's noise then, which kept a pool sized for the burst's start-up for minutes); and how far
   * the rate expected must pass what the pool serves at {@code max_inflight} before that alone
   * asks for a scale-up.
   */
  static double countingNoise(double rate, double seconds) {
    return seconds > 0 ? Math.sqrt(Math.max(0, rate) / seconds) : 0;
  }

  /** Whether a rate went from {@code before} to {@code after} in one interval as a burst does, not as a wandering rate. */
  static boolean jumped(double before, double after, double seconds) {
    double high = Math.max(before, after);
    double low = Math.min(before, after);
    // Counting noise of the higher rate: Poisson, r / t per interval of t seconds.
    return high >= JUMP_FACTOR * low && high - low > JUMP_SIGMAS * Math.sqrt(high / seconds);
  }

  /**
   * The p99 objective in milliseconds: configured, or derived from the time a request alone takes,
   * as last measured from instances that ran lightly loaded or over a wide range of loads.
   */
  double objectiveMillis() {
    if (sloNanos > 0) {
      return sloNanos / 1e6;
    }
    // The tail of a request alone is taken to be an exponential service time's (p99 = ln 100 x mean).
    return DERIVED_SLO_FACTOR * Math.log(100) * aloneSeconds * 1000;
  }

  /**
   * Moves the target concurrency by what the objective says: up a little while requests keep well
   * within it and the instances ran near the target, down by 8% when more than 1% miss it, each
   * beyond the slow count's noise. Only when no
   * instance was starting and no backlog waited lately, so a pool that is short, or a scale-up on
   * its way, is not read as the wrong target.
   */
  private void adjustTarget(long now) {
    if (lastAdjustNanos != Long.MIN_VALUE && now - lastAdjustNanos < ADJUST_NANOS) {
      return;
    }
    if (lastPendingNanos != Long.MIN_VALUE && now - lastPendingNanos < SLOW_WINDOW_NANOS) {
      return;
    }
    double requests = counted.sum(now, SLOW_WINDOW_NANOS);
    if (requests < MIN_COUNTED) {
      return;
    }
    lastAdjustNanos = now;
    double slowCount = slow.sum(now, SLOW_WINDOW_NANOS);
    double share = slowCount / requests;
    // The slow count is a count: it moves the target only when it is clear of the band by about
    // two of its standard deviations (Poisson's: its square root), or on a long steady load a share
    // that sits in the band's edge would move the target back and forth (and the pool with it) by
    // chance alone, every time the derived objective moved by a millisecond.
    double spread = 2 * Math.sqrt(slowCount);
    if ((slowCount - spread) / requests > SLOW_SHARE) {
      target = Math.max(1, target * TARGET_DOWN);
    } else if ((slowCount + spread + 2) / requests < SLOW_SHARE / 2
        && servedAt.sum(now, SLOW_WINDOW_NANOS) / requests >= NEAR_TARGET * model.throughputAt(target)) {
      double step = share < SLOW_SHARE / 10 ? TARGET_UP_FAST : TARGET_UP;
      target = Math.max(target, Math.min(Math.min(maxInflight, model.explorationLimit()), target + step));
    }
  }
}
