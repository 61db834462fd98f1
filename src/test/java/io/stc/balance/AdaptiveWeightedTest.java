package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdaptiveWeightedTest {
  @Test
  void weightIsBoundedBetweenOneAndTenTimesConfigured() {
    assertThat(AdaptiveWeighted.weight(3, 10, 10)).isEqualTo(30);
    assertThat(AdaptiveWeighted.weight(3, 20, 10)).isEqualTo(15);
    assertThat(AdaptiveWeighted.weight(3, 100, 10)).isEqualTo(3);
    assertThat(AdaptiveWeighted.weight(3, 1_000_000, 10)).isEqualTo(1);
    assertThat(AdaptiveWeighted.weight(1, 0, 10)).as("no sample yet: tried as fastest").isEqualTo(10);
  }

  @Test
  void fasterBackendsGetMoreTraffic() {
    PoolFixture f = PoolFixture.weights(1, 1, 1);
    f.finished("a", 10, false);
    f.finished("b", 20, false);
    f.finished("c", 1000, false);
    Map<String, Integer> counts = f.counts(f.weighted(new AdaptiveWeighted(f.clock)), 1600);
    // weights 10 : 5 : 1
    assertThat(counts).containsEntry("a", 1000).containsEntry("b", 500).containsEntry("c", 100);
  }

  @Test
  void weightsAreRecomputedAtMostOnceASecond() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.finished("a", 10, false);
    f.finished("b", 10, false);
    Balancer aw = f.weighted(new AdaptiveWeighted(f.clock));
    assertThat(f.counts(aw, 100)).containsEntry("a", 50);
    for (int i = 0; i < 30; i++) {
      f.finished("b", 1000, false);
    }
    f.clock.advance(Duration.ofMillis(999));
    assertThat(f.counts(aw, 100)).containsEntry("a", 50);
    f.clock.advance(Duration.ofMillis(1));
    assertThat(f.counts(aw, 100).get("a")).isGreaterThan(85);
  }

  @Test
  void failuresMakeABackendLighter() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.finished("a", 10, false);
    f.finished("b", 10, false);
    f.finished("b", 1, true);
    Map<String, Integer> counts = f.counts(f.weighted(new AdaptiveWeighted(f.clock)), 1000);
    assertThat(counts.get("b")).isLessThan(100);
  }
}
