package io.stc.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PoissonArrivalsTest {
  @Test
  void steadyGapsAreExponentialWithTheRateAsMean() {
    PoissonArrivals arrivals = new PoissonArrivals(new Steady(100), 1000, new SplittableRandom(3));
    double previous = 0;
    double sum = 0;
    double sumSquares = 0;
    long n = 0;
    for (double t = arrivals.next(); !Double.isNaN(t); t = arrivals.next()) {
      assertThat(t).isGreaterThanOrEqualTo(previous).isLessThan(1000);
      double gap = t - previous;
      sum += gap;
      sumSquares += gap * gap;
      previous = t;
      n++;
    }
    double mean = sum / n;
    double sd = Math.sqrt(sumSquares / n - mean * mean);
    // 100,000 expected, standard deviation 316.
    assertThat(n).isBetween(98_700L, 101_300L);
    assertThat(mean).isCloseTo(0.01, within(0.0002));
    assertThat(sd / mean).as("coefficient of variation").isCloseTo(1, within(0.02));
  }

  @Test
  void countsFollowAChangingRate() {
    RatePattern gradual = new Gradual(200, 600);
    PoissonArrivals arrivals = new PoissonArrivals(gradual, 600, new SplittableRandom(5));
    long firstHalf = 0;
    long secondHalf = 0;
    for (double t = arrivals.next(); !Double.isNaN(t); t = arrivals.next()) {
      if (t < 300) {
        firstHalf++;
      } else {
        secondHalf++;
      }
    }
    double expectedFirst = gradual.mean(0, 300) * 300;
    double expectedSecond = gradual.mean(300, 600) * 300;
    assertThat((double) firstHalf).isCloseTo(expectedFirst, within(4 * Math.sqrt(expectedFirst)));
    assertThat((double) secondHalf).isCloseTo(expectedSecond, within(4 * Math.sqrt(expectedSecond)));
  }

  @Test
  void theSameSeedGivesTheSameTimes() {
    PoissonArrivals a = new PoissonArrivals(new Sine(50, 60), 60, new SplittableRandom(9));
    PoissonArrivals b = new PoissonArrivals(new Sine(50, 60), 60, new SplittableRandom(9));
    for (int i = 0; i < 1000; i++) {
      assertThat(b.next()).isEqualTo(a.next());
    }
  }
}
