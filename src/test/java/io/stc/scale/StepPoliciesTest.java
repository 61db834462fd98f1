package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StepPoliciesTest {
  private final ThresholdPolicy threshold = new ThresholdPolicy(10, 0.7, 0.3);
  private final RpsPolicy rps = new RpsPolicy(10, 5);

  private static ScaleSnapshot load(int ready, int pending, int inFlight, int queued) {
    return new ScaleSnapshot(ready, pending, inFlight, queued, 0, 0);
  }

  private static ScaleSnapshot rate(int ready, double perInstance) {
    return new ScaleSnapshot(ready, 0, 0, 0, perInstance, 0);
  }

  @Test
  void thresholdAddsOneAboveSeventyPercentAndRemovesOneBelowThirty() {
    Decision up = threshold.decide(load(2, 0, 15, 0), 0);
    assertThat(up.desired()).isEqualTo(3);
    assertThat(up.reason()).isEqualTo("utilization 75% (in-flight+queued 15 / capacity 20) > 70%");
    assertThat(threshold.decide(load(2, 0, 14, 0), 0).desired()).as("exactly 70% holds").isEqualTo(2);
    assertThat(threshold.decide(load(2, 0, 10, 5), 0).desired()).as("queued counts").isEqualTo(3);
    Decision down = threshold.decide(load(4, 0, 11, 0), 0);
    assertThat(down.desired()).isEqualTo(3);
    assertThat(down.reason()).endsWith("< 30%");
    assertThat(threshold.decide(load(4, 0, 12, 0), 0).desired()).isEqualTo(4);
  }

  @Test
  void thresholdHoldsWhileAnInstanceStarts() {
    Decision d = threshold.decide(load(2, 1, 20, 0), 0);
    assertThat(d.desired()).isEqualTo(3);
    assertThat(d.reason()).isEqualTo("waiting for 1 starting instance(s)");
  }

  @Test
  void thresholdWithNothingReadyAddsOneForAnyDemand() {
    assertThat(threshold.decide(load(0, 0, 1, 0), 0).desired()).isEqualTo(1);
    assertThat(threshold.decide(load(0, 0, 0, 0), 0).desired()).isZero();
  }

  @Test
  void rpsAddsOneAboveUpAndRemovesOneBelowDown() {
    Decision up = rps.decide(rate(3, 12.5), 0);
    assertThat(up.desired()).isEqualTo(4);
    assertThat(up.reason()).isEqualTo("req/s per instance 12.5 > 10");
    assertThat(rps.decide(rate(3, 10), 0).desired()).isEqualTo(3);
    assertThat(rps.decide(rate(3, 5), 0).desired()).isEqualTo(3);
    assertThat(rps.decide(rate(3, 4.9), 0).desired()).isEqualTo(2);
    assertThat(rps.decide(new ScaleSnapshot(3, 1, 0, 0, 50, 0), 0).desired()).as("waits for the pending one").isEqualTo(4);
  }
}
