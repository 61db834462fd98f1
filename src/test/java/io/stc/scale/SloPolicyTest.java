package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.AutoscaleConfig;
import io.stc.scale.ScaleSnapshot.InstanceLoad;
import io.stc.scale.ScaleSnapshot.Load;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The slo policy, as the autoscaler runs it (within its bounds and cooldowns), decision by decision
 * on a manual clock against a pool that does what the decisions say: instances asked for serve
 * five seconds later; each serves a request in {@code 50 ms x (1 + (c - 1) / 4)} at concurrency c.
 */
class SloPolicyTest {
  private static final double STARTUP = 5;

  /** The pool, the policy and the decisions so far. */
  private static final class Run {
    final ScalingPolicy policy;
    final SplittableRandom random = new SplittableRandom(7);
    final ArrayDeque<Long> pending = new ArrayDeque<>();
    final List<Integer> counts = new ArrayList<>();
    final List<String> reasons = new ArrayList<>();
    long now;
    int ready;
    double queue;
    boolean poisson;
    /** Each request's latency an Exp(1) draw times the mean, as simulate's noise: a tail that is noisy from one window to the next. */
    boolean exponentialLatencies;
    /** The start-up time the load reports, as the autoscaler's running estimate: the instances still take {@link #STARTUP}. */
    double startupEstimate = STARTUP;
    /** The most requests the queue held at the end of a second. */
    double queueHigh;

    Run(AutoscaleConfig config, int ready) {
      this.policy = ScalingPolicy.of(config);
      this.ready = ready;
    }

    /** One second at {@code rate} requests a second (Poisson when asked), then a decision. */
    Decision second(double rate) {
      now += 1_000_000_000L;
      while (!pending.isEmpty() && pending.peekFirst() <= now) {
        pending.pollFirst();
        ready++;
      }
      double arrived = poisson ? poisson(rate) : rate;
      // What the ready instances finish at most, at max_inflight 10 each; the rest waits.
      double perInstance = ready == 0 ? 0 : (arrived + queue) / ready;
      double c = Math.min(10, concurrency(perInstance));
      double served = ready == 0 ? 0 : Math.min(arrived + queue, ready * c / latency(c));
      queue = arrived + queue - served;
      queueHigh = Math.max(queueHigh, queue);
      double w = latency(c);
      List<InstanceLoad> instances = new ArrayList<>(Collections.nCopies(ready, new InstanceLoad(c, served / Math.max(1, ready))));
      Histogram latencies = new Histogram(3);
      if (served >= 1 && exponentialLatencies) {
        for (long i = 0; i < (long) served; i++) {
          latencies.recordValue((long) (w * 1e6 * -Math.log(1 - random.nextDouble())));
        }
      } else if (served >= 1) {
        latencies.recordValueWithCount((long) (w * 1e6), (long) served);
      }
      Load load = new Load(1, arrived, served, c * ready, w * 1000, (long) served, 0, startupEstimate, instances,
          served >= 1 ? latencies : null);
      ScaleSnapshot s = new ScaleSnapshot(ready, pending.size(), (int) Math.round(c * ready), (int) queue,
          served / Math.max(1, ready), w * 1000, load);
      Decision d = policy.decide(s, now);
      int current = ready + pending.size();
      for (int i = current; i < d.desired(); i++) {
        pending.addLast(now + (long) (STARTUP * 1e9));
      }
      for (int i = d.desired(); i < current; i++) {
        if (!pending.isEmpty()) {
          pending.pollLast();
        } else {
          ready--;
        }
      }
      counts.add(d.desired());
      reasons.add(d.reason());
      return d;
    }

    void seconds(int n, DoubleUnaryOperator rate) {
      for (int i = 0; i < n; i++) {
        second(rate.applyAsDouble(now / 1e9));
      }
    }

    int last() {
      return counts.get(counts.size() - 1);
    }

    /** Changes of direction of the desired count from decision {@code from} on. */
    int directionChanges(int from) {
      int changes = 0;
      int direction = 0;
      for (int i = from + 1; i < counts.size(); i++) {
        int d = Integer.signum(counts.get(i) - counts.get(i - 1));
        if (d != 0) {
          if (direction != 0 && d != direction) {
            changes++;
          }
          direction = d;
        }
      }
      return changes;
    }

    private double poisson(double mean) {
      // Normal approximation, good enough above a few dozen.
      double u = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
      return Math.max(0, Math.round(mean + Math.sqrt(mean) * u));
    }
  }

  private static double latency(double c) {
    return 0.05 * (1 + Math.max(0, c - 1) / 4);
  }

  /** Little's law: the concurrency c at which an instance offered r a second settles, c = r W(c). */
  private static double concurrency(double r) {
    double a = 0.05 * 0.75;
    double b = 0.05 / 4;
    return r * b >= 1 ? Double.POSITIVE_INFINITY : r * a / (1 - r * b);
  }

  private static AutoscaleConfig config(int min, int max, Duration slo) {
    AutoscaleConfig d = AutoscaleConfig.defaults();
    return new AutoscaleConfig(true, d.provider(), AutoscaleConfig.Policy.SLO, min, max, d.interval(), d.maxInflight(),
        d.target(), d.metric(), d.utilization(), d.tolerance(), d.stableWindow(), d.panicWindow(), d.panicThreshold(),
        d.stabilizationWindow(), d.maxStepUp(), d.thresholdUp(), d.thresholdDown(), d.rpsUp(), d.rpsDown(),
        d.cooldownUp(), d.cooldownDown(), d.maxScaleDownRate(), d.drainTimeout(), d.startTimeout(), slo);
  }


  /** The hold of each decision from {@code from} on, in seconds, as its reason gives it. */
  private static List<Double> holds(Run run, int from) {
    List<Double> holds = new ArrayList<>();
    for (String reason : run.reasons.subList(from, run.reasons.size())) {
      holds.add(Double.parseDouble(reason.replaceAll(".*highest need of ([0-9.]+)s.*", "$1")));
    }
    return holds;
  }

  private static long instanceSeconds(Run run, int from) {
    return run.counts.subList(from, run.counts.size()).stream().mapToLong(Integer::longValue).sum();
  }

  @Test
  void aStartUpEstimateAFifthOffMovesTheScaleDownOnlyInProportion() {
    // A real run's start-up estimate (its running average) came out 16% shorter than its
    // simulation's, and "clearly falls" (the fall within one start-up against the forecast's
    // deviation) came out the other way: the real run held a falling need for the stable window
    // (60 s) where the simulation held four start-ups (about 10 s). The instances really take five
    // seconds here; only the estimate the load reports differs, by a fifth either way. The same
    // arrivals, so the same rate filter: what a decision holds may differ by the estimates' ratio
    // at most, and the instance-seconds of the fall hardly at all. Before the fifth pass the
    // shorter estimate held 60 s where the longer held 24 s.
    Run shorter = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    Run longer = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    shorter.startupEstimate = STARTUP * 0.8;
    longer.startupEstimate = STARTUP * 1.2;
    for (Run run : List.of(shorter, longer)) {
      run.poisson = true;
      run.seconds(600, t -> 600);
      run.seconds(266, t -> 600 - 1.5 * (t - 600));
    }
    List<Double> a = holds(shorter, 600);
    List<Double> b = holds(longer, 600);
    for (int i = 0; i < a.size(); i++) {
      double ratio = Math.max(a.get(i) / b.get(i), b.get(i) / a.get(i));
      assertThat(ratio).as("decision %d of the fall: held %ss against %ss", i, a.get(i), b.get(i)).isLessThanOrEqualTo(1.5 + 1e-9);
    }
    assertThat((double) instanceSeconds(shorter, 600)).as("instance-seconds of the fall")
        .isCloseTo(instanceSeconds(longer, 600), org.assertj.core.data.Percentage.withPercentage(3));
  }

  @Test
  void aPoolSizedForBurstsKeepsWhatTheirHeightNeedsAndNoMore() {
    // Bursts of 1,200/s for 4 s every 20 s over 80/s, from a cold start of two instances. Each edge
    // is a jump, and the rate forecast's deviation stays many times the rate's noise for minutes
    // after one: as the spare a scale-down must leave, it kept the start-up's pool (24 here, more
    // in simulate) instead of what the bursts' height needs at ~61/s an instance (1,200/s and its
    // noise, with 5% of headroom: 22).
    Run run = new Run(config(2, 100, Duration.ofSeconds(2)), 2);
    run.poisson = true;
    run.seconds(900, t -> (t % 20) < 4 ? 1200 : 80);
    assertThat(run.counts.subList(120, 900)).as("after two minutes").allMatch(n -> n <= (int) Math.ceil(1200 * 1.1 / 61.5));
    assertThat(run.counts.subList(120, 900)).as("yet sized for the bursts").allMatch(n -> n >= 1200 / 61.5);
  }

  @Test
  void aPoolIsNotLeftToRunPastWhatItServesAtMaxInflight() {
    // 2,000/s, then a rise of 2/s a second, against a loose objective: the instances are sized at
    // max_inflight, where anything beyond what they serve queues. The 5% margin a scale-up waits
    // for (so a need on a whole number does not add and take back an instance) let the expected
    // rate run up to 5% past that before: the queue reached 535 requests; a sine's rising edge
    // went past the objective that way.
    Run run = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    run.poisson = true;
    run.seconds(600, t -> 2000);
    assertThat(((SloPolicy) ((BoundedPolicy) run.policy).inner()).target()).isEqualTo(10.0);
    run.queueHigh = 0;
    run.seconds(300, t -> 2000 + 2 * (t - 600));
    assertThat(run.queueHigh).as("the most requests waiting at the end of a second").isLessThan(400);
  }

  @Test
  void aSteadyLoadSettlesAndThenNothingMoves() {
    Run run = new Run(config(2, 100, Duration.ofMillis(500)), 2);
    run.poisson = true;
    run.seconds(1800, t -> 400);
    List<Integer> settled = run.counts.subList(120, run.counts.size());
    assertThat(settled).as("no scale event after the first two minutes").containsOnly(settled.get(0));
    // 400/s at ~40/s per instance within the objective: about ten instances, not the 50 a backlog would ask for.
    assertThat(settled.get(0)).isBetween(8, 14);
  }

  @Test
  void aLargePoolGivesUpNoInstanceForLessThanATenthOfItself() {
    // 2,000/s on about forty instances, then 7% less, then a fifth less. An instance or two fewer
    // is less than a tenth of the pool, within what the estimates wander by on a steady load: the
    // pool holds it; what a larger fall frees goes in one step.
    Run run = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    run.seconds(600, t -> 2000);
    int settled = run.last();
    run.seconds(600, t -> 1860);
    run.seconds(600, t -> 1600);
    assertThat(settled).isGreaterThan(30);
    for (int i = 120; i < run.counts.size(); i++) {
      int before = run.counts.get(i - 1);
      int now = run.counts.get(i);
      if (now < before) {
        assertThat(before - now).as("scale-down at %d s from %d", i, before).isGreaterThanOrEqualTo((int) Math.ceil(0.1 * before));
      }
    }
    assertThat(run.reasons).anyMatch(r -> r.contains("within the 10% tolerance"));
    assertThat(run.last()).isLessThan(settled);
  }

  @Test
  void afterABurstsEdgeThePoolComesDownByAnyStep() {
    // The tolerance is for estimates that wander while the rate stays put. After a burst the rate
    // itself fell: the pool sized for the burst's height goes down as the need does, one instance
    // at a time if that is what it frees, not a tenth of itself or nothing.
    Run run = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    run.seconds(600, t -> 2000);
    int settled = run.last();
    run.seconds(30, t -> 7000);
    run.seconds(600, t -> 2000);
    boolean smallStep = false;
    for (int i = 631; i < run.counts.size(); i++) {
      int before = run.counts.get(i - 1);
      int now = run.counts.get(i);
      smallStep |= now < before && before - now < 0.1 * before;
    }
    assertThat(smallStep).as("a scale-down of less than a tenth after the burst").isTrue();
    assertThat(run.last()).isLessThanOrEqualTo(settled);
  }

  @Test
  void aLongSteadyLoadWithANoisyTailNeverMovesThePoolOnceSettled() {
    // 2,000/s, each request's latency an Exp(1) draw, the objective derived. Sized with headroom,
    // the instances run well below the concurrency the pool is sized for, and the most concurrency
    // the model is trusted at sinks towards what they run at. Before the fourth pass this moved a
    // pool that had been settled for a quarter of an hour: the service curve between the points of
    // the start-up and those of the steady load could say an instance serves less at that limit
    // than the instances were serving (instances were added), and a need just above a whole number
    // of instances took one away whenever the noise of its highest value in the window dipped.
    Run run = new Run(config(2, 200, Duration.ZERO), 2);
    run.poisson = true;
    run.exponentialLatencies = true;
    run.seconds(1800, t -> 2000);
    List<Integer> settled = run.counts.subList(120, run.counts.size());
    assertThat(settled).as("no scale event after the first two minutes").containsOnly(settled.get(0));
  }

  @Test
  void aTailReallyOverTheObjectiveStillLowersTheTargetAndThenSettles() {
    // The same load against a 500 ms objective: at 10 in flight a request takes 162 ms on average
    // and 4.6% of them (Exp(1) above 3.1 times the mean) are slower than the objective, for real,
    // not by noise. The target must come down until the tail fits, and then nothing moves.
    Run run = new Run(config(2, 200, Duration.ofMillis(500)), 2);
    run.poisson = true;
    run.exponentialLatencies = true;
    run.seconds(1800, t -> 2000);
    SloPolicy q = (SloPolicy) ((BoundedPolicy) run.policy).inner();
    assertThat(q.target()).as("the target concurrency").isLessThan(9);
    List<Integer> settled = run.counts.subList(120, run.counts.size());
    assertThat(settled).as("no scale event after the first two minutes").containsOnly(settled.get(0));
    // More instances than the 36 a derived objective settles at, so each runs at fewer requests at once.
    assertThat(settled.get(0)).isGreaterThan(36);
  }

  @Test
  void aStepUpIsMetInOneDecision() {
    Run run = new Run(config(2, 100, Duration.ofMillis(500)), 2);
    run.seconds(300, t -> 100);
    int before = run.last();
    Decision d = run.second(400);
    assertThat(d.reason()).contains("(a step)");
    assertThat(d.desired()).as("the whole step at once").isGreaterThanOrEqualTo(before * 3);
    int stepped = d.desired();
    run.seconds(30, t -> 400);
    assertThat(run.counts.subList(run.counts.size() - 30, run.counts.size()))
        .as("no second thoughts while the new instances start").allMatch(n -> n >= stepped * 9 / 10);
  }

  @Test
  void aRampIsMetAheadByTheStartUpTimeAndNeverScaledDownMeanwhile() {
    Run run = new Run(config(2, 200, Duration.ofMillis(500)), 2);
    run.seconds(120, t -> 50);
    int start = run.counts.size();
    run.seconds(900, t -> 50 + (t - 120));
    List<Integer> ramp = run.counts.subList(start, run.counts.size());
    for (int i = 1; i < ramp.size(); i++) {
      assertThat(ramp.get(i)).as("decision %d of the ramp", i).isGreaterThanOrEqualTo(ramp.get(i - 1));
    }
    // At the end, 950/s is served with nothing waiting: the look-ahead kept the pool in front.
    assertThat(run.queue).isLessThan(10);
  }

  @Test
  void aSineChangesDirectionAtMostFourTimesAPeriod() {
    Run run = new Run(config(2, 200, Duration.ofMillis(500)), 2);
    run.poisson = true;
    run.seconds(600, t -> 400);
    int from = run.counts.size();
    run.seconds(1800, t -> 400 * (1 + 0.8 * Math.sin(2 * Math.PI * (t - 600) / 1800)));
    assertThat(run.directionChanges(from)).isLessThanOrEqualTo(4);
  }

  @Test
  void aSmallDipDoesNotTakeInstancesAway() {
    Run run = new Run(config(2, 100, Duration.ofMillis(500)), 2);
    run.seconds(600, t -> 400);
    int settled = run.last();
    run.seconds(120, t -> 390);
    assertThat(run.last()).as("2.5% less is within the hysteresis band").isEqualTo(settled);
    run.seconds(300, t -> 200);
    assertThat(run.last()).as("half is not").isLessThan(settled);
  }

  @Test
  void recurringBurstsKeepWhatTheyNeedWithinTheHoldTime() {
    Run run = new Run(config(2, 100, Duration.ofMillis(500)), 2);
    run.seconds(300, t -> 100);
    run.seconds(600, t -> (t % 15) < 4 ? 600 : 100);
    List<Integer> late = run.counts.subList(run.counts.size() - 300, run.counts.size());
    int low = Collections.min(late);
    int high = Collections.max(late);
    assertThat(high - low).as("bursts every 15 s, held for 20 s: the pool stays sized for them").isLessThanOrEqualTo(2);
  }

  /**
   * A random walk as simulate's {@code random} pattern: 10% of {@code rate} a second, within a
   * tenth and twice it, plus {@code drift} a second.
   */
  private static double[] randomWalk(double rate, int seconds, long seed, double drift) {
    double[] knots = new double[seconds + 2];
    SplittableRandom random = new SplittableRandom(seed);
    knots[0] = rate;
    for (int i = 1; i < knots.length; i++) {
      double g = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
      knots[i] = Math.min(2 * rate + drift * i, Math.max(rate / 10, knots[i - 1] + 0.1 * rate * g + drift));
    }
    return knots;
  }

  private static DoubleUnaryOperator at(double[] knots) {
    return t -> knots[Math.min(knots.length - 1, (int) t)];
  }

  @Test
  void aWanderingRateIsHeldForAFewStartUpsNotAStableWindow() {
    // A random walk moves 22% of its nominal rate within one start-up: the forecast's deviations
    // already keep what it may come back to, and the peak of a whole minute would keep several
    // instances more all the time. A steady rate keeps the stable window.
    Run wandering = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    wandering.poisson = true;
    wandering.seconds(900, at(randomWalk(400, 900, 5, 0)));
    List<String> late = wandering.reasons.subList(120, 900);
    // Not all: at its bounds (twice or a tenth of the rate) the walk stands still a while.
    assertThat(late.stream().filter(r -> r.contains("highest need of 20s")).count())
        .as("decisions that keep four start-ups' need").isGreaterThan(late.size() * 3 / 4);

    Run steady = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    steady.poisson = true;
    steady.seconds(900, t -> 400);
    assertThat(steady.reasons.subList(120, 900)).allMatch(r -> r.contains("highest need of 60s"));
  }

  @Test
  void aWanderingRateIsSizedBeyondItsLastPeakButABurstIsNot() {
    // A walk that climbs to new highs: sized with headroom above the highest rate of the last
    // minute, which it goes beyond as often as not, so the rate a start-up later is covered more
    // often than a sizing capped at that peak would cover it.
    Run wandering = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    wandering.poisson = true;
    double[] walk = randomWalk(400, 600, 5, 3);
    wandering.seconds(600, at(walk));
    int covered = 0;
    int coveredCapped = 0;
    int beyond = 0;
    for (int t = 300; t < 597; t++) {
      double lastMinute = 0;
      for (int i = t - 60; i <= t; i++) {
        lastMinute = Math.max(lastMinute, walk[i]);
      }
      double sized = Double.parseDouble(wandering.reasons.get(t).replaceAll(".*sized for ([0-9.]+)/s.*", "$1"));
      Matcher m = Pattern.compile("^arrivals ([0-9.]+)/s(?: \\(([-+0-9.]+)/s a second\\))?.* in ([0-9.]+)s").matcher(wandering.reasons.get(t));
      assertThat(m.find()).isTrue();
      double arr = Double.parseDouble(m.group(1));
      double slope = m.group(2) == null ? 0 : Double.parseDouble(m.group(2));
      double startup = Double.parseDouble(m.group(3));
      // What a sizing capped at the peak could have been: the rate forecast a start-up ahead, or the peak.
      beyond += sized > Math.max(Math.max(arr, arr + slope * startup), lastMinute) + 1 ? 1 : 0;
      double later = Math.max(walk[t + 2], walk[t + 3]);
      covered += sized >= later ? 1 : 0;
      coveredCapped += Math.min(sized, lastMinute) >= later ? 1 : 0;
    }
    // Capped at the peak (as before the third pass) it could only go beyond by its forecast of the trend, never here.
    assertThat(beyond).as("decisions sized for more than the last minute's peak and the trend").isGreaterThan(60);
    assertThat(covered).as("the rate a start-up later covered").isGreaterThan(coveredCapped + 10);

    // Bursts to six times the base every 15 s: each edge is a jump, and the pool is sized for
    // the bursts' height, not for the forecast's deviations after a jump (several times more).
    Run bursts = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    bursts.seconds(300, t -> 100);
    bursts.seconds(600, t -> (t % 15) < 4 ? 600 : 100);
    assertThat(Collections.max(bursts.counts.subList(600, 900))).as("600/s at ~50/s an instance").isLessThanOrEqualTo(16);
  }

  @Test
  void aStallOfOneIntervalIsNotSizedBeyondTheLastMinutesPeak() {
    // A start-up's stall: clients wait to connect, one interval reads half the rate and the next
    // the rest at once. Two steps, neither a burst's jump (three times the last interval), and not
    // a random walk: no decision after them is sized beyond the last minute's peak. (Counted as
    // wandering, the steps' volatility sized for the forecast plus its deviation, uncapped, and a
    // scale-down held that need for the stable window.)
    Run run = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    run.seconds(120, t -> 300);
    run.second(150);
    run.second(420);
    run.seconds(60, t -> 300);
    for (int t = 120; t < run.reasons.size(); t++) {
      double sized = Double.parseDouble(run.reasons.get(t).replaceAll(".*sized for ([0-9.]+)/s.*", "$1"));
      assertThat(sized).as("second %d: %s", t, run.reasons.get(t)).isLessThanOrEqualTo(420);
    }
  }

  @Test
  void aJumpIsABurstsEdgeNotAWanderingStep() {
    assertThat(SloPolicy.jumped(100, 600, 1)).isTrue();
    assertThat(SloPolicy.jumped(600, 100, 1)).isTrue();
    assertThat(SloPolicy.jumped(400, 520, 1)).as("a random walk's largest steps").isFalse();
    assertThat(SloPolicy.jumped(2, 7, 1)).as("within counting noise").isFalse();
  }

  @Test
  void theObjectiveIsMetAtTheLeastInstances() {
    // 400/s: on 8 instances a request takes 100 ms, on 7 about 130 ms; 7 are the fewest that keep up.
    Run tight = new Run(config(2, 200, Duration.ofMillis(110)), 2);
    tight.seconds(1200, t -> 400);
    assertThat(tight.counts.subList(900, 1200)).containsOnly(8);
    assertThat(tight.reasons.get(tight.reasons.size() - 1)).contains("p99 objective 110 ms)");

    Run loose = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    loose.seconds(1200, t -> 400);
    assertThat(loose.counts.subList(900, 1200)).containsOnly(7);
    SloPolicy q = (SloPolicy) ((BoundedPolicy) loose.policy).inner();
    assertThat(q.target()).as("all of max_inflight").isEqualTo(10.0);
  }

  @Test
  void anOversizedPoolTeachesTheTargetNothing() {
    // Two instances saturated at ten in flight in the first second, then min 30 for 400/s: the
    // instances run at about one request each, all fast; that says nothing of ten.
    Run oversized = new Run(config(30, 200, Duration.ofSeconds(2)), 2);
    oversized.seconds(900, t -> 400);
    SloPolicy q = (SloPolicy) ((BoundedPolicy) oversized.policy).inner();
    assertThat(q.target()).as("where it started").isEqualTo(7.0);

    Run sized = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    sized.seconds(900, t -> 400);
    assertThat(((SloPolicy) ((BoundedPolicy) sized.policy).inner()).target()).as("learned on a pool it sized").isEqualTo(10.0);
  }

  @Test
  void aBacklogIsNotReadAsTheWrongTarget() {
    // At max, 8 instances for 600/s: a backlog grows; how fast the instances serve then is no
    // evidence for a higher target (nor is lateness, which comes from the pool being short).
    Run run = new Run(config(2, 8, Duration.ofSeconds(2)), 2);
    run.seconds(300, t -> 600);
    SloPolicy q = (SloPolicy) ((BoundedPolicy) run.policy).inner();
    assertThat(q.target()).as("where it started").isEqualTo(7.0);
  }

  @Test
  void aScaleDownKeepsTheRateItNeededNotAnOlderModelsCount() {
    // The first second's instances are saturated at ten in flight: the model then thinks an
    // instance serves less at the target than it does, and the start asks for 11, then 13. Once it
    // knows better, the overshoot goes at the first scale-down (after cooldown_down), to what the
    // model now says 400/s needs, not to the count an older model gave within the stable window.
    Run run = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    run.seconds(60, t -> 400);
    assertThat(run.counts.subList(0, 10)).as("the start's guess").contains(13);
    assertThat(run.counts.subList(40, 60)).as("after one cooldown").containsOnly(8);
  }

  @Test
  void theQueueThatGrowsWhileInstancesStartIsNotAskedForAgain() {
    // 400/s on two instances: the queue grows by ~300 a second until the instances asked for at
    // the first decision serve. Those were asked to drain it; counted in full again at every
    // decision meanwhile, it would ask for more and more (the first pass went to max). The pool as
    // it is, starting instances included, drains what it leaves by then.
    Run run = new Run(config(2, 200, Duration.ofSeconds(2)), 2);
    run.seconds(10, t -> 400);
    assertThat(run.counts).as("the start's decisions").containsExactly(11, 11, 11, 13, 13, 13, 13, 13, 13, 13);
  }

  @Test
  void withoutAnObjectiveItIsDerivedFromARequestAlone() {
    Run run = new Run(config(2, 100, Duration.ZERO), 2);
    run.seconds(60, t -> 30);
    run.seconds(300, t -> 300);
    String reason = run.reasons.get(run.reasons.size() - 1);
    // Four times ln(100) x the mean of a request alone (~50 ms): ~0.9 s.
    assertThat(reason).containsPattern("p99 objective (9\\d\\d|10\\d\\d) ms, derived\\)");
  }

  @Test
  void theFastInstancesAScaleDownLeftAreSizedByTheirOwnSpeed() {
    // Eight instances at 6 in flight: two half as fast as the mean, two half as fast again, four
    // of the mean. A scale-down stops the two slow ones and the rate falls to what the six left
    // take at 6 in flight: seven mean instances' worth. The pool's points at 6 in flight say the
    // mean instance's speed for minutes to come; read as the mean, the six would seem to fall
    // short, and a seventh would start at once.
    ScalingPolicy p = ScalingPolicy.of(config(2, 100, Duration.ofSeconds(2)));
    Map<String, Double> pool = new LinkedHashMap<>();
    for (int i = 0; i < 2; i++) {
      pool.put("slow-" + i, 0.5);
      pool.put("fast-" + i, 1.5);
      pool.put("mean-" + i, 1.0);
      pool.put("mean-" + (i + 2), 1.0);
    }
    long now = 0;
    for (int t = 0; t < 120; t++) {
      now += 1_000_000_000L;
      p.decide(snapshot(pool, 6), now);
    }
    pool.keySet().removeIf(name -> name.startsWith("slow"));
    List<Integer> desired = new ArrayList<>();
    for (int t = 0; t < 60; t++) {
      now += 1_000_000_000L;
      desired.add(p.decide(snapshot(pool, 6), now).desired());
    }
    assertThat(desired).as("the decisions once the slow instances went").containsOnly(6);
  }

  /** One second of the named instances, each at concurrency {@code c}: {@code 50 ms x (1 + (c - 1) / 4)} a request, divided by its speed. */
  private static ScaleSnapshot snapshot(Map<String, Double> pool, double c) {
    List<InstanceLoad> instances = new ArrayList<>();
    double served = 0;
    double w = 0.05 * (1 + (c - 1) / 4);
    for (Map.Entry<String, Double> e : pool.entrySet()) {
      double throughput = c * e.getValue() / w;
      instances.add(new InstanceLoad(e.getKey(), c, throughput, 0));
      served += throughput;
    }
    Histogram latencies = new Histogram(3);
    latencies.recordValueWithCount((long) (w * 1e6), Math.round(served));
    Load load = new Load(1, served, served, c * pool.size(), w * 1000, Math.round(served), 0, STARTUP, instances, latencies);
    int ready = pool.size();
    return new ScaleSnapshot(ready, 0, (int) Math.round(c * ready), 0, served / ready, w * 1000, load);
  }

  @Test
  void beforeAnythingWasMeasuredItSizesForWhatWaits() {
    ScalingPolicy p = ScalingPolicy.of(config(0, 50, Duration.ZERO));
    Decision d = p.decide(new ScaleSnapshot(0, 0, 0, 30, 0, 0), 0);
    assertThat(d.desired()).isEqualTo(5);
    assertThat(d.reason()).startsWith("nothing measured yet: in-flight+queued 30 / 7");
  }
}
