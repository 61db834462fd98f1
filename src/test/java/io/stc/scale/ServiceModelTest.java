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

  @Test
  void aRequestAloneIsTheCurveContinuedDownToOneInFlight() {
    // W(c) = 50 ms x (1 + (c - 1) / 4), seen only at 4 and 8 in flight.
    ServiceModel m = new ServiceModel(10, 300);
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
    ServiceModel m = new ServiceModel(10, 300);
    for (int i = 0; i < 30; i++) {
      m.observe(second(4, 0.1));
      m.observe(second(5, 0.2));
    }
    assertThat(m.alone()).isCloseTo(0.1 / 4, within(1e-9));
  }

  @Test
  void seenOnlyAtOneRequestTheCurveIsWhatWasSeen() {
    ServiceModel m = new ServiceModel(10, 300);
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
  void aLoadSeenOnlyForAMomentLongAgoStopsSizingThePool() {
    ServiceModel m = new ServiceModel(10, 300);
    // A cold start: ten seconds at 8 in flight, 240 ms a request.
    for (int t = 0; t < 10; t++) {
      m.observe(steady(8, 0.24));
    }
    assertThat(m.latencyAt(8)).isCloseTo(0.24, within(1e-9));
    // Then five minutes warm, at 2 and 3 in flight: 64 and 78 ms.
    for (int t = 0; t < 150; t++) {
      m.observe(steady(2, 0.064));
      m.observe(steady(3, 0.078));
    }
    assertThat(m.latencyAt(2)).isCloseTo(0.064, within(1e-9));
    // At 8 the curve now continues what the instances do (14 ms a request more), not the cold start.
    assertThat(m.latencyAt(8)).isCloseTo(0.078 + 5 * 0.014, within(1e-6));
  }

  @Test
  void anInstanceFillingFromIdleIsNotReadAsSlow() {
    ServiceModel m = new ServiceModel(10, 300);
    // Each request takes 100 ms; 60 a second arrive at an idle instance: by the end 6 are in
    // flight (5.7 on average over the second) and 54 have finished.
    for (int t = 0; t < 30; t++) {
      m.observe(new Load(1, 60, 54, 5.7, 0, 54, 0, 5, List.of(new InstanceLoad(5.7, 54, 6)), null));
    }
    assertThat(m.latencyAt(5.7)).isCloseTo(0.1, within(1e-9));
  }

  @Test
  void thePointIsLittlesLawOverTheInstancesTogether() {
    ServiceModel m = new ServiceModel(10, 300);
    for (int t = 0; t < 30; t++) {
      // 2 in flight each: one finishes 40/s (50 ms), the other 10/s (200 ms).
      m.observe(new Load(1, 50, 50, 4, 0, 50, 0, 5, List.of(new InstanceLoad(2, 40), new InstanceLoad(2, 10)), null));
    }
    // 4 in flight over 50/s: 80 ms at 2 in flight, each instance's requests weighed by how many it finished.
    assertThat(m.latencyAt(2)).isCloseTo(0.08, within(1e-9));
  }

  @Test
  void aCurveTooNarrowToReachDownToOneRequestDoesNotMeasureOneAlone() {
    ServiceModel m = new ServiceModel(10, 300);
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
