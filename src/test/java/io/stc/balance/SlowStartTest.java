package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlowStartTest {
  private static final Duration WINDOW = Duration.ofSeconds(10);

  /** Slow start around a balancer that never picks: these tests look at the weights it is handed. */
  private static SlowStart slowStart(PoolFixture f, Duration window) {
    return new SlowStart((request, pool) -> null, f.clock, window);
  }

  @Test
  void rampGoesFromTheFloorToFullWeightInSteps() {
    PoolFixture f = PoolFixture.weights(4);
    SlowStart slowStart = slowStart(f, WINDOW);
    Backend a = f.get("a");
    long since = a.stateSinceNanos();
    // The floor is 0.1 of the weight: 2 of 20 steps.
    assertThat(slowStart.steps(a, since)).isEqualTo(2);
    assertThat(slowStart.steps(a, since + 500_000_000L)).isEqualTo(2);
    assertThat(slowStart.steps(a, since + 2_500_000_000L)).isEqualTo(5);
    assertThat(slowStart.steps(a, since + 5_000_000_000L)).isEqualTo(10);
    assertThat(slowStart.steps(a, since + 7_500_000_000L)).isEqualTo(15);
    assertThat(slowStart.steps(a, since + 10_000_000_000L)).isEqualTo(SlowStart.STEPS);
    assertThat(slowStart.steps(a, since + 20_000_000_000L)).isEqualTo(SlowStart.STEPS);
  }

  @Test
  void aRampingBackendIsHandedItsShareOfItsWeight() {
    PoolFixture f = PoolFixture.weights(4);
    f.clock.advance(Duration.ofMinutes(1));
    f.add(4);
    f.clock.advance(Duration.ofSeconds(5));
    SlowStart slowStart = slowStart(f, WINDOW);
    WeightedPool weighted = slowStart.weighted(f.pool());
    // a, up for a minute, has all 20 steps of its weight; b, halfway through its window, 10.
    assertThat(weighted.weights()).containsExactly(80, 40);
    assertThat(weighted.pool()).isSameAs(f.pool());
    assertThat(slowStart.weighted(f.pool())).as("same step: same weights").isSameAs(weighted);
    f.clock.advance(Duration.ofMillis(500));
    assertThat(slowStart.weighted(f.pool()).weights()).as("next step").containsExactly(80, 44);
    f.clock.advance(Duration.ofSeconds(5));
    assertThat(slowStart.weighted(f.pool()).weights()).as("window over").containsExactly(4, 4);
  }

  @Test
  void rampsOnlyWhenSomeButNotAllAreNew() {
    PoolFixture f = PoolFixture.weights(1, 1);
    SlowStart slowStart = slowStart(f, WINDOW);
    assertThat(slowStart.ramping(f.pool(), f.clock.nanos())).as("all new: fresh start").isFalse();
    f.clock.advance(Duration.ofSeconds(30));
    assertThat(slowStart.ramping(f.pool(), f.clock.nanos())).as("none new").isFalse();
    f.add(1);
    f.clock.advance(Duration.ofSeconds(3));
    assertThat(slowStart.ramping(f.pool(), f.clock.nanos())).isTrue();
    f.clock.advance(Duration.ofSeconds(7));
    assertThat(slowStart.ramping(f.pool(), f.clock.nanos())).as("window over").isFalse();
  }

  @Test
  void backendComingBackUpRampsAgain() {
    PoolFixture f = PoolFixture.weights(1, 1);
    SlowStart slowStart = slowStart(f, WINDOW);
    f.clock.advance(Duration.ofSeconds(30));
    f.state("b", BackendState.DOWN);
    f.clock.advance(Duration.ofSeconds(30));
    f.state("b", BackendState.UP);
    long now = f.clock.nanos();
    assertThat(slowStart.ramping(f.pool(), now)).isTrue();
    assertThat(slowStart.weighted(f.pool()).weights()).containsExactly(20, 2);
  }

  @Test
  void aZeroWindowHandsOverTheConfiguredWeights() {
    PoolFixture f = PoolFixture.weights(3);
    f.clock.advance(Duration.ofSeconds(30));
    f.add(2);
    SlowStart off = slowStart(f, Duration.ZERO);
    assertThat(off.ramping(f.pool(), f.clock.nanos())).isFalse();
    WeightedPool weighted = off.weighted(f.pool());
    assertThat(weighted.weights()).containsExactly(3, 2);
    assertThat(off.weighted(f.pool())).as("cached per snapshot").isSameAs(weighted);
  }

  @Test
  void everyWeightedAlgorithmFollowsTheSameRamp() {
    BalancerSettings settings = BalancerSettings.DEFAULTS.withSlowStart(WINDOW);
    List<Algorithm> weighted = List.of(
        Algorithm.WEIGHTED_ROUND_ROBIN, Algorithm.LEAST_CONNECTIONS, Algorithm.RANDOM,
        Algorithm.POWER_OF_TWO, Algorithm.ADAPTIVE_WEIGHTED);
    // b's share next to a, up for a minute, at 0, 5 and 10 s into b's window: 0.1 : 1, 0.5 : 1, 1 : 1.
    long[] secondsIn = {0, 5, 10};
    double[] share = {0.1 / 1.1, 0.5 / 1.5, 0.5};
    for (Algorithm algorithm : weighted) {
      for (int k = 0; k < secondsIn.length; k++) {
        PoolFixture f = PoolFixture.weights(1);
        f.clock.advance(Duration.ofMinutes(1));
        f.add(1);
        f.clock.advance(Duration.ofSeconds(secondsIn[k]));
        Balancer balancer = algorithm.newBalancer(f.clock, settings);
        int picks = 6000;
        int b = 0;
        for (int i = 0; i < picks; i++) {
          Backend picked = balancer.pick(Request.NONE, f.pool());
          // Requests stay in flight, so the load-counting algorithms spread them by weight too.
          picked.stats().requestStarted();
          b += picked.id().equals("b") ? 1 : 0;
        }
        assertThat(b / (double) picks)
            .as("%s, %d s into the window", algorithm.configName(), secondsIn[k])
            .isCloseTo(share[k], within(0.03));
      }
    }
  }

  @Test
  void algorithmsWithoutWeightsIgnoreSlowStart() {
    BalancerSettings settings = BalancerSettings.DEFAULTS.withSlowStart(WINDOW);
    for (Algorithm algorithm : List.of(Algorithm.ROUND_ROBIN, Algorithm.LEAST_RESPONSE_TIME)) {
      PoolFixture f = PoolFixture.weights(1);
      f.clock.advance(Duration.ofMinutes(1));
      f.add(1);
      Balancer balancer = algorithm.newBalancer(f.clock, settings);
      assertThat(f.counts(balancer, 1000)).as(algorithm.configName()).containsEntry("b", 500);
    }
  }
}
