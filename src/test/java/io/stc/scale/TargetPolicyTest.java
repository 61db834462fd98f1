package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.ManualClock;
import io.stc.config.AutoscaleConfig.Metric;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TargetPolicyTest {
  private final ManualClock clock = new ManualClock();

  private Decision at(TargetPolicy p, ScaleSnapshot s) {
    clock.advance(Duration.ofSeconds(1));
    return p.decide(s, clock.nanos());
  }

  private static ScaleSnapshot inFlight(int ready, int pending, int inFlight) {
    return new ScaleSnapshot(ready, pending, inFlight, 0, 0, 0);
  }

  private static TargetPolicy inflightTarget(double target, Duration stabilization) {
    return new TargetPolicy(Metric.INFLIGHT, target, 0.1, stabilization, 4);
  }

  @Test
  void desiredIsCeilOfReadyTimesMetricOverTarget() {
    TargetPolicy p = inflightTarget(5, Duration.ZERO);
    Decision d = at(p, inFlight(3, 0, 30));
    assertThat(d.desired()).isEqualTo(6);
    assertThat(d.reason()).isEqualTo("in-flight+queued per instance 10 / target 5 = 2: 3 ready x 2 -> 6");
    assertThat(at(p, inFlight(3, 0, 16)).desired()).as("ratio 1.07 is within tolerance").isEqualTo(3);
    assertThat(at(p, inFlight(3, 0, 18)).desired()).as("ceil(3 x 1.2)").isEqualTo(4);
    assertThat(at(p, inFlight(4, 0, 4)).desired()).as("ceil(4 x 0.2)").isEqualTo(1);
  }

  @Test
  void ratiosWithinTheToleranceChangeNothing() {
    TargetPolicy p = inflightTarget(10, Duration.ZERO);
    Decision justAbove = at(p, inFlight(4, 0, 44));
    assertThat(justAbove.desired()).isEqualTo(4);
    assertThat(justAbove.reason()).endsWith("within tolerance 0.1");
    assertThat(at(p, inFlight(4, 0, 36)).desired()).as("ratio 0.9").isEqualTo(4);
    assertThat(at(p, inFlight(4, 0, 45)).desired()).as("ratio 1.125: ceil(4.5)").isEqualTo(5);
    assertThat(at(p, inFlight(4, 0, 35)).desired()).as("ratio 0.875: ceil(3.5)").isEqualTo(4);
    assertThat(at(p, inFlight(4, 0, 30)).desired()).as("ratio 0.75").isEqualTo(3);
  }

  @Test
  void scaleUpIsCappedAtMaxStepUpOrTheCurrentCountPerDecision() {
    TargetPolicy p = new TargetPolicy(Metric.INFLIGHT, 5, 0.1, Duration.ZERO, 2);
    Decision d = at(p, inFlight(2, 0, 100));
    assertThat(d.desired()).isEqualTo(4);
    assertThat(d.reason()).endsWith("2 ready x 10 -> 20, at most 2 more at once (max_step_up 2 or 100%) -> 4");
    assertThat(at(p, inFlight(2, 2, 100)).desired()).as("pending ones count toward the step: 100% of 4").isEqualTo(8);
    assertThat(at(p, inFlight(1, 0, 100)).desired()).as("max_step_up when it is more than 100%").isEqualTo(3);
  }

  @Test
  void scaleDownTakesTheHighestRecommendationOfTheStabilizationWindow() {
    TargetPolicy p = inflightTarget(5, Duration.ofSeconds(300));
    assertThat(at(p, inFlight(3, 0, 30)).desired()).isEqualTo(6);
    long upAt = clock.nanos();
    Decision dip = at(p, inFlight(6, 0, 6));
    assertThat(dip.desired()).isEqualTo(6);
    assertThat(dip.reason()).endsWith("-> 2, held at 6 by the 300s stabilization window");
    // A higher recommendation in between keeps its own place in the window.
    clock.advance(Duration.ofSeconds(100));
    assertThat(at(p, inFlight(6, 0, 24)).desired()).as("6 x 4/5 = 4.8 -> 5, held").isEqualTo(6);
    long fiveAt = clock.nanos();
    clock.set(upAt + Duration.ofSeconds(298).toNanos());
    assertThat(at(p, inFlight(6, 0, 6)).desired()).as("299 s after the 6: still held").isEqualTo(6);
    assertThat(at(p, inFlight(6, 0, 6)).desired()).as("the 6 has left the window; the 5 has not").isEqualTo(5);
    clock.set(fiveAt + Duration.ofSeconds(300).toNanos());
    // The 5 is gone too, but the 2s recommended since are not.
    assertThat(p.decide(inFlight(5, 0, 5), clock.nanos()).desired()).isEqualTo(2);
  }

  @Test
  void scaleUpIsNotStabilized() {
    TargetPolicy p = inflightTarget(5, Duration.ofSeconds(300));
    at(p, inFlight(2, 0, 2));
    assertThat(at(p, inFlight(2, 0, 20)).desired()).isEqualTo(4);
  }

  @Test
  void otherMetricsUseTheirOwnValues() {
    TargetPolicy rps = new TargetPolicy(Metric.RPS, 10, 0.1, Duration.ZERO, 4);
    assertThat(at(rps, new ScaleSnapshot(2, 0, 0, 0, 25, 0)).desired()).isEqualTo(5);
    TargetPolicy p99 = new TargetPolicy(Metric.P99_MS, 200, 0.1, Duration.ZERO, 4);
    Decision slow = at(p99, new ScaleSnapshot(2, 0, 0, 0, 0, 500));
    assertThat(slow.desired()).isEqualTo(5);
    assertThat(slow.reason()).startsWith("p99 ms 500 / target 200 = 2.5");
  }

  @Test
  void withNothingReadyItHolds() {
    TargetPolicy p = inflightTarget(5, Duration.ZERO);
    assertThat(at(p, inFlight(0, 2, 50)).desired()).isEqualTo(2);
  }
}
