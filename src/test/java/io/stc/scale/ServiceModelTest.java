package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stc.scale.ScaleSnapshot.InstanceLoad;
import io.stc.scale.ScaleSnapshot.Load;
import java.util.ArrayList;
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

  /** One second of {@code n} instances each at concurrency {@code c} and latency {@code w}, in rotation for {@code age} seconds. */
  private static Load second(int n, double c, double w, double age) {
    double throughput = c / w;
    return new Load(1, n * throughput, n * throughput, n * c, w * 1000, Math.round(n * throughput), 0, 5,
        Collections.nCopies(n, new InstanceLoad(c, throughput, age)), null);
  }

  @Test
  void aColdStartSizesTheFirstSecondsAndIsReplacedWhereWarmInstancesRun() {
    ServiceModel m = new ServiceModel(10, 300);
    // Two fresh instances: at 2 in flight, then at 7, each request 170 ms: a JVM still compiling.
    for (int t = 0; t < 5; t++) {
      m.observe(second(2, 2, 0.17, t + 1));
      m.observe(second(2, 7, 0.17, t + 1));
    }
    assertThat(m.known()).as("a start has something to size by").isTrue();
    assertThat(m.throughputAt(2)).isCloseTo(2 / 0.17, within(1e-6));
    // Warm, the same instances serve 2 in flight at 55 ms: the cold point there is gone, not averaged in.
    for (int t = 10; t < 40; t++) {
      m.observe(second(2, 2, 0.055, t + 1));
    }
    assertThat(m.latencyAt(2)).isCloseTo(0.055, within(1e-9));
    assertThat(m.throughputAt(2)).isCloseTo(2 / 0.055, within(1e-6));
    // Where no warm instance ran, the cold start is all there is: a prior until warm ones run there.
    assertThat(m.latencyAt(7)).isCloseTo(0.17, within(1e-9));
    for (int t = 40; t < 70; t++) {
      m.observe(second(2, 7, 0.09, t + 1));
    }
    assertThat(m.latencyAt(7)).isCloseTo(0.09, within(1e-9));
  }

  @Test
  void aYoungInstanceBesideWarmOnesDoesNotMoveTheCurve() {
    ServiceModel m = new ServiceModel(10, 300);
    for (int t = 0; t < 30; t++) {
      m.observe(second(4, 3, 0.06, 100 + t));
    }
    for (int t = 0; t < 9; t++) {
      // Four warm at 3 in flight, 60 ms, and a new one at 3 in flight, 300 ms: the point is the warm ones'.
      Load warm = second(4, 3, 0.06, 200 + t);
      List<InstanceLoad> all = new ArrayList<>(warm.instances());
      all.add(new InstanceLoad(3, 10, t + 1));
      m.observe(new Load(1, warm.arrivalRate() + 10, warm.completionRate() + 10, warm.concurrency() + 3, 100,
          warm.requests() + 10, 0, 5, all, null));
    }
    assertThat(m.latencyAt(3)).isCloseTo(0.06, within(1e-9));
    assertThat(m.throughputAt(3)).isCloseTo(50, within(1e-6));
  }

  @Test
  void thePointIsLittlesLawOverTheInstancesTogether() {
    ServiceModel m = new ServiceModel(10, 300);
    for (int t = 0; t < 30; t++) {
      // 2 in flight each: one finishes 40/s (50 ms), the other 10/s (200 ms).
      m.observe(new Load(1, 50, 50, 4, 0, 50, 0, 5, List.of(new InstanceLoad(2, 40, 100), new InstanceLoad(2, 10, 100)), null));
    }
    // 4 in flight over 50/s: 80 ms at 2 in flight, each instance's requests weighed by how many it finished.
    assertThat(m.latencyAt(2)).isCloseTo(0.08, within(1e-9));
  }
}
