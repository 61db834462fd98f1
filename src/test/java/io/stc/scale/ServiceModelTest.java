package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stc.scale.ScaleSnapshot.InstanceLoad;
import io.stc.scale.ScaleSnapshot.Load;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The service curve the slo policy sizes by, fed intervals of a pool of four instances. */
class ServiceModelTest {
  /** One second of four instances at concurrency {@code c}, each request taking {@code w} seconds. */
  private static Load second(double c, double w) {
    double throughput = c / w;
    return new Load(1, 4 * throughput, 4 * throughput, 4 * c, w * 1000, Math.round(4 * throughput), 0, 5,
        Collections.nCopies(4, new InstanceLoad(c, throughput)), null);
  }

  /** One second of four instances held at concurrency {@code c} (a queue's, or a pool just large enough) while {@code arrivals} a second came for each. */
  private static Load held(double arrivals, double c, double w) {
    double throughput = c / w;
    return new Load(1, 4 * arrivals, 4 * throughput, 4 * c, w * 1000, Math.round(4 * throughput), 0, 5,
        Collections.nCopies(4, new InstanceLoad(c, throughput)), null);
  }

  @Test
  void pointsAtTheSameConcurrencyAreOnePoint() {
    // Held at max_inflight (10) under two loads: a start-up's queue, 400 arrivals a second for
    // each instance, and a pool just large enough, 66 a second. Both ran at ten in flight (one a
    // hair below): their latencies are one concurrency's, 150 and 160 ms by noise, not a slope
    // whose top is whichever came last.
    ServiceModel m = new ServiceModel(300);
    for (int i = 0; i < 30; i++) {
      m.observe(held(66, 9.98, 0.150));
      m.observe(held(400, 10, 0.160));
    }
    assertThat(m.latencyAt(10)).isCloseTo(0.155, within(0.002));
    assertThat(m.latencyAt(9.98)).isCloseTo(0.155, within(0.002));
  }

  @Test
  void aRequestAloneIsTheCurveContinuedDownToOneInFlight() {
    // W(c) = 50 ms x (1 + (c - 1) / 4), seen only at 4 and 8 in flight.
    ServiceModel m = new ServiceModel(300);
    for (int i = 0; i < 30; i++) {
      m.observe(second(4, 0.0875));
      m.observe(second(8, 0.1375));
    }
    assertThat(m.alone()).isCloseTo(0.05, within(0.002));
    assertThat(m.latencyAt(6)).isCloseTo(0.1125, within(0.002));
  }

  @Test
  void aRequestAloneIsNeverFasterThanTheLowestConcurrencySeenImplies() {
    // A curve that steep would give a request alone no time at all: one at a time cannot finish
    // more a second than the four at once that were seen.
    // (An instance that serves less at five than at four, with more arriving than it finishes.)
    ServiceModel m = new ServiceModel(300);
    for (int i = 0; i < 30; i++) {
      m.observe(second(4, 0.1));
      Load fewerFinished = second(5, 0.2);
      m.observe(new Load(1, 4 * 50, fewerFinished.completionRate(), fewerFinished.concurrency(), 200,
          fewerFinished.requests(), 0, 5, fewerFinished.instances(), null));
    }
    assertThat(m.alone()).isCloseTo(0.1 / 4, within(1e-9));
  }

  @Test
  void seenOnlyAtOneRequestTheCurveIsWhatWasSeen() {
    ServiceModel m = new ServiceModel(300);
    assertThat(m.alone()).isZero();
    for (int i = 0; i < 30; i++) {
      m.observe(second(1, 0.05));
    }
    assertThat(m.alone()).isCloseTo(0.05, within(1e-9));
    assertThat(m.latencyAt(3)).as("flat beyond a single point").isCloseTo(0.05, within(1e-9));
  }

  /** One second of four instances at concurrency {@code c}, each request taking {@code w} seconds, as loaded at its end as at its start. */
  private static Load steady(double c, double w) {
    return second(c, w);
  }

  @Test
  void secondsOfOneSteadyRateDoNotDrawLittlesLine() {
    // Four instances at 20 arrivals a second each, a request taking 60 ms give or take a third: a
    // slower second has more in flight (c = 20 W). Binned by the concurrency they ran at, those
    // seconds draw W = c / 20, which says an instance finishes 20 a second at any concurrency;
    // binned by the arrivals, they are one point, and the curve does not claim what it never saw.
    ServiceModel m = new ServiceModel(300);
    java.util.Random random = new java.util.Random(3);
    for (int t = 0; t < 120; t++) {
      double w = 0.06 * (1 + (random.nextDouble() * 2 - 1) / 3);
      m.observe(new Load(1, 80, 80, 4 * 20 * w, w * 1000, 80, 0, 5,
          Collections.nCopies(4, new InstanceLoad(20 * w, 20)), null));
    }
    assertThat(m.throughputAt(2.5)).as("what an instance finishes at 2.5 in flight").isGreaterThan(30);
  }

  @Test
  void anInstanceFillingFromIdleIsNotReadAsSlow() {
    ServiceModel m = new ServiceModel(300);
    // Each request takes 100 ms; 60 a second arrive at an idle instance: by the end 6 are in
    // flight (5.7 on average over the second) and 54 have finished.
    for (int t = 0; t < 30; t++) {
      m.observe(new Load(1, 60, 54, 5.7, 0, 54, 0, 5, List.of(new InstanceLoad(5.7, 54, 6)), null));
    }
    assertThat(m.latencyAt(5.7)).isCloseTo(0.1, within(1e-9));
  }

  @Test
  void thePointIsLittlesLawOverTheInstancesTogether() {
    ServiceModel m = new ServiceModel(300);
    for (int t = 0; t < 30; t++) {
      // 2 in flight each: one finishes 40/s (50 ms), the other 10/s (200 ms).
      m.observe(new Load(1, 50, 50, 4, 0, 50, 0, 5, List.of(new InstanceLoad(2, 40), new InstanceLoad(2, 10)), null));
    }
    // 4 in flight over 50/s: 80 ms at 2 in flight, each instance's requests weighed by how many it finished.
    assertThat(m.latencyAt(2)).isCloseTo(0.08, within(1e-9));
  }

  @Test
  void aCurveTooNarrowToReachDownToOneRequestDoesNotMeasureOneAlone() {
    ServiceModel m = new ServiceModel(300);
    // A steady load: 7 and 7.5 in flight for long. Continued down to one request, the slope's
    // noise would be multiplied twelvefold.
    for (int i = 0; i < 30; i++) {
      m.observe(second(7, 0.125));
      m.observe(second(7.5, 0.13));
    }
    assertThat(m.aloneMeasured()).isFalse();
    for (int i = 0; i < 30; i++) {
      m.observe(second(1, 0.05));
    }
    assertThat(m.aloneMeasured()).isTrue();
    assertThat(m.alone()).isCloseTo(0.05, within(1e-9));
  }
}
