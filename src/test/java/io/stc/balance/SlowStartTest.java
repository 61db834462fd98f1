package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SlowStartTest {
  private final SlowStart slowStart = new SlowStart(Duration.ofSeconds(10));

  @Test
  void factorRampsFromTheFloorToOne() {
    PoolFixture f = PoolFixture.weights(4);
    Backend a = f.get("a");
    long since = a.stateSinceNanos();
    assertThat(slowStart.factor(a, since)).isEqualTo(SlowStart.FLOOR);
    assertThat(slowStart.factor(a, since + 500_000_000L)).isEqualTo(SlowStart.FLOOR);
    assertThat(slowStart.factor(a, since + 2_500_000_000L)).isCloseTo(0.25, within(1e-9));
    assertThat(slowStart.factor(a, since + 7_500_000_000L)).isCloseTo(0.75, within(1e-9));
    assertThat(slowStart.factor(a, since + 10_000_000_000L)).isEqualTo(1.0);
    assertThat(slowStart.weight(a, since + 5_000_000_000L, true)).isCloseTo(2.0, within(1e-9));
    assertThat(slowStart.weight(a, since + 5_000_000_000L, false)).isEqualTo(4.0);
    assertThat(slowStart.steps(a, since)).isEqualTo(2);
    assertThat(slowStart.steps(a, since + 5_000_000_000L)).isEqualTo(10);
    assertThat(slowStart.steps(a, since + 20_000_000_000L)).isEqualTo(SlowStart.STEPS);
  }

  @Test
  void rampsOnlyWhenSomeButNotAllAreNew() {
    PoolFixture f = PoolFixture.weights(1, 1);
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
    f.clock.advance(Duration.ofSeconds(30));
    f.state("b", BackendState.DOWN);
    f.clock.advance(Duration.ofSeconds(30));
    f.state("b", BackendState.UP);
    long now = f.clock.nanos();
    assertThat(slowStart.ramping(f.pool(), now)).isTrue();
    assertThat(slowStart.factor(f.get("b"), now)).isEqualTo(SlowStart.FLOOR);
    assertThat(slowStart.factor(f.get("a"), now)).isEqualTo(1.0);
  }

  @Test
  void offNeverRamps() {
    PoolFixture f = PoolFixture.weights(1);
    f.clock.advance(Duration.ofSeconds(30));
    f.add(1);
    assertThat(SlowStart.OFF.enabled()).isFalse();
    assertThat(SlowStart.OFF.ramping(f.pool(), f.clock.nanos())).isFalse();
  }

  @Test
  void allWeightUsingAlgorithmsTakeSlowStartFromSettings() {
    BalancerSettings settings = BalancerSettings.DEFAULTS.withSlowStart(Duration.ofSeconds(10));
    for (Algorithm algorithm :
        new Algorithm[] {Algorithm.WEIGHTED_ROUND_ROBIN, Algorithm.ADAPTIVE_WEIGHTED}) {
      PoolFixture f = PoolFixture.weights(1);
      f.clock.advance(Duration.ofMinutes(1));
      f.add(1);
      Balancer balancer = algorithm.newBalancer(f.clock, settings);
      int c = f.counts(balancer, 2000).getOrDefault("b", 0);
      // b at the floor: 1 : 0.1
      assertThat(c).as(algorithm.configName()).isBetween(120, 240);
    }
  }
}
