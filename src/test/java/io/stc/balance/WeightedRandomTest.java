package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stc.pool.BackendState;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WeightedRandomTest {
  private static final int N = 100_000;

  private static Balancer random(PoolFixture f, Duration slowStart) {
    Random seeded = new Random(42);
    return f.slowStart(new WeightedRandom(() -> seeded), slowStart);
  }

  @Test
  void distributionFollowsWeights() {
    PoolFixture f = PoolFixture.weights(1, 2, 7);
    Map<String, Integer> counts = f.counts(random(f, Duration.ZERO), N);
    assertThat(counts.get("a") / (double) N).isCloseTo(0.1, within(0.01));
    assertThat(counts.get("b") / (double) N).isCloseTo(0.2, within(0.01));
    assertThat(counts.get("c") / (double) N).isCloseTo(0.7, within(0.01));
  }

  @Test
  void equalWeightsAreUniform() {
    PoolFixture f = PoolFixture.weights(3, 3, 3, 3);
    Map<String, Integer> counts = f.counts(random(f, Duration.ZERO), N);
    assertThat(counts.values()).allSatisfy(c -> assertThat(c / (double) N).isCloseTo(0.25, within(0.01)));
  }

  @Test
  void unavailableNeverPicked() {
    PoolFixture f = PoolFixture.weights(1, 5, 1);
    f.state("b", BackendState.DOWN);
    Map<String, Integer> counts = f.counts(random(f, Duration.ZERO), 1000);
    assertThat(counts).containsOnlyKeys("a", "c");
  }

  @Test
  void rampingBackendGetsItsShare() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.clock.advance(Duration.ofMinutes(1));
    f.add(1);
    f.clock.advance(Duration.ofSeconds(5));
    Map<String, Integer> counts = f.counts(random(f, Duration.ofSeconds(10)), N);
    // weights 1 : 1 : 0.5
    assertThat(counts.get("c") / (double) N).isCloseTo(0.2, within(0.01));
  }
}
