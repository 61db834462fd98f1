package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stc.scale.ScaleSnapshot.InstanceLoad;
import io.stc.scale.ScaleSnapshot.Load;
import java.util.Collections;
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
}
