package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RateFilterTest {
  /** One interval's count of a Poisson process at {@code rate} a second, near enough (normal). */
  private static double measured(Random random, double rate) {
    return Math.max(0, rate + random.nextGaussian() * Math.sqrt(rate));
  }

  @Test
  void aSteadyRateIsForecastWithinItsCountingNoiseAndDoesNotWander() {
    RateFilter f = new RateFilter();
    Random random = new Random(1);
    for (int s = 0; s < 300; s++) {
      f.add(1, measured(random, 500));
    }
    assertThat(f.level()).isCloseTo(500, within(15.0));
    assertThat(f.forecastError(5)).isLessThan(Math.sqrt(500));
    assertThat(f.wanders(5, 0.05)).isFalse();
  }

  @Test
  void oneIntervalFarOffIsForgottenWithinAMinute() {
    // A start-up's backlog: clients wait to connect, and one interval the proxy sees a tenth of
    // the rate, then the rest at once. Before, the step it made raised the forecast's deviation to
    // six times what it was, and a minute later it was still four times as much, so a scale-down
    // kept that much headroom for minutes.
    RateFilter f = new RateFilter();
    Random random = new Random(2);
    for (int s = 0; s < 120; s++) {
      f.add(1, measured(random, 500));
    }
    double before = f.forecastError(5);
    f.add(1, 50);
    assertThat(f.stepped()).isTrue();
    f.add(1, 950);
    for (int s = 0; s < 60; s++) {
      f.add(1, measured(random, 500));
    }
    assertThat(f.forecastError(5)).isLessThan(1.5 * before);
    assertThat(f.wanders(5, 0.05)).isFalse();
    assertThat(f.level()).isCloseTo(500, within(15.0));
  }

  @Test
  void aBurstIsFollowedAtOnceAndLeavesTheRateUncertainForAWhile() {
    RateFilter f = new RateFilter();
    Random random = new Random(3);
    for (int s = 0; s < 120; s++) {
      f.add(1, measured(random, 80));
    }
    double quiet = f.forecastError(5);
    f.add(1, 1200);
    assertThat(f.stepped()).isTrue();
    assertThat(f.level()).isEqualTo(1200);
    f.add(1, measured(random, 1200));
    assertThat(f.level()).isCloseTo(1200, within(50.0));
    // What a burst does next is not known: it may end as suddenly. But one step is not a random walk.
    assertThat(f.forecastError(5)).isGreaterThan(10 * quiet);
    assertThat(f.unsettled(5, 0.05)).isTrue();
    assertThat(f.wanders(5, 0.05)).isFalse();
  }

  @Test
  void aRandomWalkWandersAndItsForecastKeepsItsMovement() {
    RateFilter f = new RateFilter();
    Random random = new Random(4);
    double rate = 2000;
    double step = 200;
    for (int s = 0; s < 600; s++) {
      rate = Math.max(200, Math.min(4000, rate + random.nextGaussian() * step));
      f.add(1, measured(random, rate));
    }
    assertThat(f.wanders(5, 0.05)).isTrue();
    // Five seconds of the walk move it by sqrt(5) steps; the forecast's deviation holds most of that.
    assertThat(f.forecastError(5)).isBetween(0.7 * Math.sqrt(5) * step, 1.5 * Math.sqrt(5) * step);
  }
}
