package io.stc.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.stc.balance.Algorithm;
import io.stc.config.AutoscaleConfig.Policy;
import io.stc.scale.ScaleEvent;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;

class SimulationTest {
  private static SimulationOptions.Builder fiveMinutes() {
    return SimulationOptions.builder().duration(Duration.ofMinutes(5));
  }

  @Test
  void aScheduleRaisesThePoolInItsWindowAndLetsItGoAfter() {
    // 06:50 on a Monday: the window opens at 07:00 and closes at 07:10 (UTC).
    SimulationOptions o = SimulationOptions.builder().pattern(TrafficPattern.parse("steady")).rate(50).min(2).max(20)
        .duration(Duration.ofMinutes(30))
        .schedule(List.of(new io.stc.config.AutoscaleConfig.ScheduleWindow(io.stc.config.CronExpression.parse("0 7 * * mon-fri"),
            io.stc.config.CronExpression.parse("10 7 * * mon-fri"), 12, java.time.ZoneOffset.UTC)))
        .startAt(java.time.Instant.parse("2026-12-07T06:50:00Z").toEpochMilli())
        .build();
    SimulationResult r = Simulation.run(o);
    int[] ready = r.series().ready();
    assertThat(ready[9 * 60]).as("before the window: what 50 req/s needs").isLessThan(12);
    // Up in one step at 07:00, ready once its start-ups are done, for the whole window.
    // (The series samples each second at its end: index 1199 is 07:10:00, when the window closes.)
    for (int s = 10 * 60 + 10; s < 20 * 60 - 1; s++) {
      assertThat(ready[s]).as("second %d, in the window", s).isGreaterThanOrEqualTo(12);
    }
    assertThat(ready[29 * 60]).as("after it: back to what the load needs").isLessThan(12);
    assertThat(r.events()).anyMatch(e -> e.reason().contains("raised to min 12: schedule 0 7 * * mon-fri .. 10 7 * * mon-fri (UTC)"));
    // The same window, the same run, the day before (a Sunday): nothing raised.
    SimulationResult sunday = Simulation.run(SimulationOptions.builder().pattern(TrafficPattern.parse("steady")).rate(50).min(2).max(20)
        .duration(Duration.ofMinutes(30)).schedule(o.schedule())
        .startAt(java.time.Instant.parse("2026-12-06T06:50:00Z").toEpochMilli()).build());
    assertThat(sunday.series().ready()[15 * 60]).isLessThan(12);
    assertThatThrownBy(() -> SimulationOptions.builder().schedule(o.schedule()).build())
        .hasMessage("--schedule needs --start-at (the date and time the run begins at), or a trace with dates");
  }

  @Test
  void sameSeedGivesTheSameRunAndAnotherSeedAnotherOne() {
    SimulationResult a = Simulation.run(fiveMinutes().seed(7).build());
    SimulationResult b = Simulation.run(fiveMinutes().seed(7).build());
    SimulationResult c = Simulation.run(fiveMinutes().seed(8).build());

    assertThat(b.arrived()).isEqualTo(a.arrived());
    assertThat(b.served()).isEqualTo(a.served());
    assertThat(b.latency()).isEqualTo(a.latency());
    assertThat(b.instanceSeconds()).isEqualTo(a.instanceSeconds());
    assertThat(b.events()).isEqualTo(a.events());
    assertThat(b.series().p99Millis()).containsExactly(a.series().p99Millis());

    assertThat(c.arrived()).isNotEqualTo(a.arrived());
    assertThat(c.latency()).isNotEqualTo(a.latency());
    assertThat(c.events()).isNotEqualTo(a.events());
  }

  @Test
  void everyPolicySeesTheSameTrace() {
    SimulationOptions o = fiveMinutes().build();
    SimulationResult concurrency = Simulation.run(o.withPolicy(Policy.CONCURRENCY));
    SimulationResult rps = Simulation.run(o.withPolicy(Policy.RPS));
    assertThat(rps.series().arrivals()).containsExactly(concurrency.series().arrivals());
    assertThat(rps.oracleInstanceSeconds()).isEqualTo(concurrency.oracleInstanceSeconds());
    assertThat(rps.events()).isNotEqualTo(concurrency.events());
  }

  /**
   * M/M/3 with capacity-1 instances, a cap of one request each and a queue that never fills or
   * times out: the share of requests that wait and the mean wait must match Erlang C. The case is
   * c=3, lambda=2.4, mu=1 with time running ten times faster (lambda=24/s, mu=10/s), so 240,000
   * arrivals take 10,000 virtual seconds rather than 100,000.
   */
  @Test
  void fixedPoolAgreesWithErlangC() {
    int c = 3;
    double lambda = 24;
    double mu = 10;
    double seconds = 10_000;
    SimulationResult r = Simulation.run(SimulationOptions.builder()
        .pattern(TrafficPattern.STEADY).rate(lambda).duration(Duration.ofSeconds((long) seconds)).seed(1)
        .capacity(1, 1).serviceTime(Duration.ofMillis((long) (1000 / mu)))
        .min(c).max(c).maxInflight(1).queueMax(Integer.MAX_VALUE).queueTimeout(Duration.ofDays(7))
        .build());

    double a = lambda / mu;
    double erlangC = erlangC(c, a);
    double wq = erlangC / (c * mu - lambda);
    assertThat(erlangC).isCloseTo(0.6472, within(1e-4));
    assertThat(wq).isCloseTo(0.10786, within(1e-5));
    assertThat(r.rejected()).isZero();
    assertThat(r.served()).isEqualTo(r.arrived());
    assertThat(r.arrived()).isCloseTo((long) (lambda * seconds), Percentage.withPercentage(1));
    assertThat(r.waitProbability()).isCloseTo(erlangC, Percentage.withPercentage(3));
    assertThat(r.meanWaitSeconds()).isCloseTo(wq, Percentage.withPercentage(6));
    assertThat(r.scaleUps() + r.scaleDowns()).isZero();
    assertThat(r.instanceSeconds()).isCloseTo(c * seconds, within(1e-6));
  }

  private static double erlangC(int c, double a) {
    double term = 1;
    double sum = 0;
    for (int k = 0; k < c; k++) {
      sum += term;
      term *= a / (k + 1);
    }
    double top = term * c / (c - a);
    return top / (sum + top);
  }

  @Test
  void aBurstMakesTheConcurrencyPolicyScaleUpAndTheOracleStaysBelowTheCost() {
    SimulationOptions o = fiveMinutes().pattern(TrafficPattern.BURST).policy(Policy.CONCURRENCY).build();
    Burst burst = (Burst) o.ratePattern();
    SimulationResult r = Simulation.run(o);

    List<ScaleEvent> ups = r.events().stream().filter(e -> e.kind() == ScaleEvent.Kind.SCALED_UP).toList();
    assertThat(ups).isNotEmpty();
    // Nothing moves before the first burst: the quiet base fits in the minimum.
    assertThat(ups.get(0).timeMillis() / 1000.0).isGreaterThanOrEqualTo(burst.burstStart(0));
    assertThat(r.peakInstances()).isGreaterThan(o.min());
    assertThat(r.events()).anyMatch(e -> e.kind() == ScaleEvent.Kind.READY
        && e.timeMillis() - ups.get(0).timeMillis() == o.startupDelay().toMillis());
    assertThat(r.oracleInstanceSeconds()).isGreaterThanOrEqualTo(o.min() * o.durationSeconds());
    assertThat(r.oracleInstanceSeconds()).isLessThanOrEqualTo(r.instanceSeconds());
    assertThat(r.costRatio()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void scaleDownsDrainBeforeTheInstanceStops() {
    // A spike's end takes instances away; the default burst pattern at 50 req/s is now held
    // through its bursts (a scale-down waits for a forecast deviation to spare).
    SimulationResult r = Simulation.run(fiveMinutes().pattern(TrafficPattern.SPIKE).build());
    List<ScaleEvent> downs = r.events().stream()
        .filter(e -> e.kind() == ScaleEvent.Kind.SCALED_DOWN && e.reason().contains("draining")).toList();
    assertThat(downs).isNotEmpty();
    for (ScaleEvent down : downs) {
      assertThat(r.events()).anyMatch(e -> e.kind() == ScaleEvent.Kind.STOPPED && e.instance().equals(down.instance())
          // Two drain checks in a row, 100 ms apart, saw it idle.
          && e.timeMillis() >= down.timeMillis() + 100 && e.reason().startsWith("drained in"));
    }
    assertThat(r.cut()).isZero();
    assertThat(r.served() + r.rejected()).isEqualTo(r.arrived());
  }

  @Test
  void aSmallQueueRejectsWhenFullAndAShortTimeoutRejectsWaiters() {
    SimulationOptions.Builder tight = fiveMinutes().pattern(TrafficPattern.STEADY).rate(200).min(1).max(1)
        .capacity(2, 2).maxInflight(2);
    SimulationResult full = Simulation.run(tight.queueMax(5).queueTimeout(Duration.ofSeconds(60)).build());
    assertThat(full.queueFull()).isPositive();
    assertThat(full.queueTimeout()).isZero();

    SimulationResult slow = Simulation.run(tight.queueMax(100_000).queueTimeout(Duration.ofMillis(200)).build());
    assertThat(slow.queueTimeout()).isPositive();
    assertThat(slow.queueFull()).isZero();
    // Whoever was served waited less than the timeout, plus at most a long service time.
    assertThat(slow.served() + slow.rejected()).isEqualTo(slow.arrived());
  }

  @Test
  void noRequestIsTurnedAwayForSpaceWhileThePoolCanGrow() {
    // A spike of 4,000 req/s: thousands wait while instances start, far past the old bound of 1,000.
    SimulationResult r = Simulation.run(fiveMinutes().pattern(TrafficPattern.SPIKE).rate(400).max(200).build());
    assertThat(java.util.Arrays.stream(r.series().queueDepth()).max().orElse(0)).isGreaterThan(1000);
    assertThat(r.queueFull()).isZero();
    assertThat(r.queueTimeout()).isZero();
    assertThat(r.served()).isEqualTo(r.arrived());

    // With the memory for 500 waiting requests only, the queue is full long before the pool is.
    SimulationResult tight = Simulation.run(fiveMinutes().pattern(TrafficPattern.SPIKE).rate(400).max(200)
        .queueMemory(500 * SimulatedProxy.REQUEST_BYTES).build());
    assertThat(tight.queueFull()).isPositive();
  }

  @Test
  void aLongSteadyLoadSettlesWithoutTheObjectiveOrTheTargetWanderingWithNoise() {
    // Seed 3 of the scale matrix's steady 2,000 req/s. On 233126d the derived objective was read
    // again and again from instances running at the same concurrencies (431 ms, 627, 409, 1,288),
    // and the slow share, sitting at 0.7-1.03% whatever the target, crossed 1% by chance: the target
    // went down and up again, and the pool with it, until 25:38, at 1.38x the oracle.
    SimulationResult r = Simulation.run(SimulationOptions.builder().pattern(TrafficPattern.STEADY).rate(2000).seed(3)
        .max(90).build());
    assertThat(r.served()).isEqualTo(r.arrived());
    assertThat(r.lastScaleSeconds()).isLessThan(600);
    // 1.21 since scale-downs take a tenth of the pool at least (SloPolicy.DOWN_TOLERANCE): the
    // pool may keep up to that much more than the need, where it took its last instance at 585 s.
    assertThat(r.costRatio()).isLessThan(1.25);
  }

  @Test
  void maxStartingBoundsTheInstancesStartingAtOnce() {
    SimulationOptions.Builder spike = fiveMinutes().pattern(TrafficPattern.SPIKE).rate(400).max(200);
    assertThat(mostStartingAtOnce(Simulation.run(spike.build()))).isGreaterThan(2);
    SimulationResult limited = Simulation.run(spike.maxStarting(2).build());
    assertThat(mostStartingAtOnce(limited)).isEqualTo(2);
    assertThat(limited.events()).extracting(ScaleEvent::reason).anyMatch(r -> r.endsWith("waiting for a start slot"));
  }

  /** The most instances between their scale-up and their rotation (or end) at any one time. */
  private static int mostStartingAtOnce(SimulationResult r) {
    java.util.Map<String, Long> since = new java.util.HashMap<>();
    int most = 0;
    for (ScaleEvent e : r.events()) {
      switch (e.kind()) {
        case SCALED_UP -> since.put(e.instance(), e.timeMillis());
        case READY, FAILED, STOPPED, CRASHED -> since.remove(e.instance());
        default -> { }
      }
      most = Math.max(most, since.size());
    }
    return most;
  }

  @Test
  void aModelOfSlowStartUpsIsNotReadAsFailedStarts() {
    // stc gives up on a start that outlasts start_timeout (60 s by default); a user whose instances
    // take 90 s sets it longer, and so does simulate for the start-ups it models.
    SimulationResult r = Simulation.run(SimulationOptions.builder().duration(Duration.ofMinutes(10)).rate(50)
        .startupDelay(Duration.ofSeconds(90)).build());
    assertThat(r.events()).extracting(ScaleEvent::kind).contains(ScaleEvent.Kind.READY).doesNotContain(ScaleEvent.Kind.FAILED);
  }

  @Test
  void crashedInstancesAreReplacedAndTheirRequestsTriedElsewhere() {
    SimulationResult r = Simulation.run(fiveMinutes().pattern(TrafficPattern.STEADY).rate(200).max(20)
        .meanLifetime(Duration.ofMinutes(1)).build());
    assertThat(r.crashed()).isPositive();
    assertThat(r.failedOver()).isPositive();
    assertThat(r.events()).anyMatch(e -> e.kind() == ScaleEvent.Kind.CRASHED && e.reason().contains("replacing it"));
    assertThat(r.served()).isEqualTo(r.arrived());
  }

  @Test
  void fromZeroInstancesTheFirstRequestsWaitForOneToStart() {
    SimulationResult r = Simulation.run(fiveMinutes().min(0).max(1).build());
    assertThat(r.arrived()).isPositive();
    // Requests queue while the first instance starts; one instance then misses only a few in bursts.
    assertThat(r.served()).isGreaterThan(r.arrived() * 99 / 100);
    assertThat(r.waited()).isPositive();
    assertThat(r.events()).first().satisfies(e -> assertThat(e.kind()).isEqualTo(ScaleEvent.Kind.SCALED_UP));
  }

  @Test
  void everyDeterministicAlgorithmRuns() {
    Set<String> ran = java.util.Arrays.stream(Algorithm.values())
        .filter(a -> a != Algorithm.RANDOM && a != Algorithm.POWER_OF_TWO)
        .map(a -> Simulation.run(fiveMinutes().duration(Duration.ofSeconds(60)).algorithm(a).build()))
        .filter(r -> r.served() > 0)
        .map(r -> r.options().algorithm().configName())
        .collect(Collectors.toSet());
    assertThat(ran).hasSize(Algorithm.values().length - 2);
  }

  @Test
  void badModelsAreRejectedWithTheFlagNamed() {
    assertThatThrownBy(() -> SimulationOptions.builder().capacity(5, 2).build()).hasMessageContaining("--capacity");
    assertThatThrownBy(() -> SimulationOptions.builder().min(4).max(2).build()).hasMessageContaining("--min 4 is above --max 2");
    assertThatThrownBy(() -> SimulationOptions.builder().rate(0).build()).hasMessageContaining("--rate");
    assertThatThrownBy(() -> SimulationOptions.builder().algorithm(Algorithm.RANDOM).build())
        .hasMessageContaining("unseeded");
    assertThatThrownBy(() -> SimulationOptions.builder().interval(Duration.ZERO).build())
        .hasMessageContaining("--interval");
  }
}
