package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConcurrencyPolicyTest {
  private final ManualClock clock = new ManualClock();
  // target 10 x utilization 0.7: 7 requests per instance.
  private final ConcurrencyPolicy policy =
      new ConcurrencyPolicy(10, 0.7, Duration.ofSeconds(60), Duration.ofSeconds(6), 2.0);

  private Decision tick(int ready, int pending, int inFlight, int queued) {
    clock.advance(Duration.ofSeconds(1));
    return policy.decide(new ScaleSnapshot(ready, pending, inFlight, queued, 0, 0), clock.nanos());
  }

  @Test
  void desiredIsDemandOverTargetTimesUtilization() {
    Decision d = tick(2, 0, 14, 0);
    assertThat(d.desired()).isEqualTo(2);
    assertThat(d.reason()).isEqualTo("in-flight+queued 14 (60s avg) / (target 10 x 0.7) -> 2");
    assertThat(tick(2, 0, 15, 0).desired()).as("avg 14.5 needs a third").isEqualTo(3);
  }

  @Test
  void queuedRequestsCountAsDemand() {
    assertThat(tick(2, 0, 7, 14).desired()).isEqualTo(3);
  }

  @Test
  void theStableWindowAveragesAwayAShortSpikeBelowThePanicThreshold() {
    for (int i = 0; i < 59; i++) {
      tick(4, 0, 14, 0);
    }
    // 4 ready = capacity 28; 40 is below the 2 x 28 panic threshold and averages to 14.4 over 60 s.
    Decision d = tick(4, 0, 40, 0);
    assertThat(policy.panicking()).isFalse();
    assertThat(d.desired()).isEqualTo(3);
  }

  @Test
  void oldSamplesLeaveTheStableWindow() {
    for (int i = 0; i < 60; i++) {
      tick(6, 0, 42, 0);
    }
    for (int i = 0; i < 59; i++) {
      assertThat(tick(6, 0, 0, 0).desired()).isGreaterThan(0);
    }
    assertThat(tick(6, 0, 0, 0).desired()).as("all 42s are older than 60 s").isZero();
  }

  @Test
  void panicReactsAtOnceToABurstAndNeverScalesDownUntilCalmForAStableWindow() {
    for (int i = 0; i < 60; i++) {
      tick(2, 0, 0, 0);
    }
    tick(2, 0, 200, 0);
    tick(2, 0, 200, 0);
    Decision burst = tick(2, 0, 200, 0);
    // Last 6 s: three samples of 200 and three of 0 = 100 >= 2 x capacity 14; 100 / 7 -> 15.
    assertThat(policy.panicking()).isTrue();
    assertThat(burst.desired()).isEqualTo(15);
    assertThat(burst.reason()).isEqualTo(
        "panic: in-flight+queued 100 (6s avg) >= 2 x capacity 14 (2 x target 10 x 0.7) -> 15");

    // The burst stops; the panic average falls but the count holds.
    Decision after = tick(15, 0, 0, 0);
    assertThat(after.desired()).isEqualTo(15);
    assertThat(after.reason()).isEqualTo("panic, calm for 1s of 60s (59s left): in-flight+queued 100 (6s avg) -> 15");
    tick(15, 0, 0, 0);
    tick(15, 0, 0, 0);
    assertThat(tick(15, 0, 0, 0).reason()).endsWith("in-flight+queued 66.67 (6s avg) -> 10, panic holds 15");
    for (int i = 0; i < 55; i++) {
      assertThat(tick(15, 0, 0, 0).desired()).isEqualTo(15);
    }
    assertThat(policy.panicking()).isTrue();
    Decision calm = tick(15, 0, 0, 0);
    assertThat(policy.panicking()).as("60 s since the threshold was last crossed").isFalse();
    // Back on the stable window, which the burst has left by now (min/max are applied elsewhere).
    assertThat(calm.desired()).isZero();
    assertThat(calm.reason()).startsWith("in-flight+queued ");
  }

  @Test
  void panicNeverGoesBelowTheCountItStartedAt() {
    tick(1, 4, 0, 0);
    // 1 ready: capacity 7; 20 averaged with 0 = 10, not over 14.
    assertThat(policy.panicking()).isFalse();
    Decision d = tick(1, 4, 30, 0);
    // (0 + 30) / 2 = 15 >= 14: panic; it sizes for 3 but 5 were running or starting.
    assertThat(policy.panicking()).isTrue();
    assertThat(d.desired()).isEqualTo(5);
  }

  @Test
  void panicKeepsRaisingItsCountWhileTheBurstGrows() {
    for (int i = 0; i < 6; i++) {
      tick(2, 0, 0, 0);
    }
    int first = tick(2, 0, 240, 0).desired();
    assertThat(policy.panicking()).isTrue();
    int second = tick(2, first - 2, 300, 0).desired();
    assertThat(second).isGreaterThan(first);
    assertThat(tick(2, second - 2, 0, 0).desired()).isEqualTo(second);
  }

  @Test
  void withNothingReadyOneInstanceIsTheYardstick() {
    Decision d = tick(0, 0, 14, 0);
    assertThat(policy.panicking()).as("14 >= 2 x 7").isTrue();
    assertThat(d.desired()).isEqualTo(2);
    assertThat(tick(0, 2, 0, 0).desired()).isEqualTo(2);
  }
}
