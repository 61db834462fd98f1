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
    // A walk by 100 a second, which no bound holds in 600 seconds (a walk held at a bound does not
    // move there, and the filter reads it so).
    double rate = 10_000;
    double step = 100;
    for (int s = 0; s < 600; s++) {
      rate += random.nextGaussian() * step;
      f.add(1, measured(random, rate));
    }
    assertThat(f.wanders(5, 0.01)).isTrue();
    assertThat(f.scatter()).isLessThan(rate);
    // Five seconds of the walk move it by sqrt(5) steps; the forecast's deviation holds most of that.
    assertThat(f.forecastError(5)).isBetween(0.7 * Math.sqrt(5) * step, 1.5 * Math.sqrt(5) * step);
  }

  @Test
  void measurementsThatScatterAroundASteadyRateAreNotAWalk() {
    // Requests that come in clumps (a trace replayed from a smaller service, clients that retry in
    // step): each second's rate scatters by a tenth around 2,000, twice its counting noise, but
    // the rate itself stays where it is. Read as movement, the scatter sized the pool for three
    // deviations of a walk that was not there: twice the instances needed.
    RateFilter f = new RateFilter();
    Random random = new Random(5);
    for (int s = 0; s < 300; s++) {
      f.add(1, measured(random, 2000) + random.nextGaussian() * 200);
    }
    assertThat(f.wanders(5, 0.05)).isFalse();
    assertThat(Math.sqrt(f.scatter())).isCloseTo(200, within(40.0));
    assertThat(f.level()).isCloseTo(2000, within(100.0));
    // The level of a steady rate is known to within its averaged scatter, not one second's.
    assertThat(f.forecastError(5)).isLessThan(100);
  }
}
