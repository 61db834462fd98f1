package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BoundedPolicyTest {
  /** Answers whatever it is told to. */
  private static final class Told implements ScalingPolicy {
    int desired;

    @Override
    public String name() {
      return "told";
    }

    @Override
    public Decision decide(ScaleSnapshot snapshot, long nowNanos) {
      return new Decision(desired, "told " + desired);
    }
  }

  private static final double NO_RATE_LIMIT = Double.POSITIVE_INFINITY;

  private final ManualClock clock = new ManualClock();
  private final Told told = new Told();

  private Decision decide(BoundedPolicy p, int current, int wanted) {
    told.desired = wanted;
    return p.decide(new ScaleSnapshot(current, 0, 0, 0, 0, 0), clock.nanos());
  }

  private Decision decide(BoundedPolicy p, int current, int wanted, int queued) {
    told.desired = wanted;
    return p.decide(new ScaleSnapshot(current, 0, 0, queued, 0, 0), clock.nanos());
  }

  @Test
  void desiredIsClampedToMinAndMax() {
    BoundedPolicy p = new BoundedPolicy(told, 2, 8, Duration.ZERO, Duration.ZERO, NO_RATE_LIMIT);
    Decision high = decide(p, 4, 20);
    assertThat(high.desired()).isEqualTo(8);
    assertThat(high.reason()).isEqualTo("told 20 (capped at max 8)");
    Decision low = decide(p, 4, 0);
    assertThat(low.desired()).isEqualTo(2);
    assertThat(low.reason()).isEqualTo("told 0 (raised to min 2)");
    assertThat(decide(p, 4, 5).reason()).isEqualTo("told 5");
  }

  @Test
  void cooldownUpRunsFromTheLastScaleUp() {
    BoundedPolicy p = new BoundedPolicy(told, 1, 10, Duration.ofSeconds(10), Duration.ZERO, NO_RATE_LIMIT);
    assertThat(decide(p, 2, 3).desired()).isEqualTo(3);
    clock.advance(Duration.ofSeconds(4));
    Decision held = decide(p, 3, 5);
    assertThat(held.desired()).isEqualTo(3);
    assertThat(held.reason()).isEqualTo("cooldown_up 6s left, holding 3 (wanted 5: told 5)");
    assertThat(decide(p, 3, 2).desired()).as("going down is not held by cooldown_up").isEqualTo(2);
    clock.advance(Duration.ofSeconds(6));
    assertThat(decide(p, 2, 5).desired()).isEqualTo(5);
  }

  @Test
  void cooldownDownRunsFromTheLastChangeEitherWay() {
    BoundedPolicy p = new BoundedPolicy(told, 1, 10, Duration.ZERO, Duration.ofSeconds(30), NO_RATE_LIMIT);
    assertThat(decide(p, 2, 4).desired()).isEqualTo(4);
    clock.advance(Duration.ofSeconds(29));
    assertThat(decide(p, 4, 2).desired()).isEqualTo(4);
    assertThat(decide(p, 4, 6).desired()).as("up is still allowed").isEqualTo(6);
    clock.advance(Duration.ofSeconds(29));
    assertThat(decide(p, 6, 2).reason()).startsWith("cooldown_down 1s left, holding 6");
    clock.advance(Duration.ofSeconds(1));
    assertThat(decide(p, 6, 2).desired()).isEqualTo(2);
    clock.advance(Duration.ofSeconds(1));
    assertThat(decide(p, 2, 1).desired()).as("the scale-down restarted the cooldown").isEqualTo(2);
  }

  @Test
  void boundsAreRestoredWithoutWaitingForCooldowns() {
    BoundedPolicy p = new BoundedPolicy(told, 2, 8, Duration.ofMinutes(5), Duration.ofMinutes(5), NO_RATE_LIMIT);
    assertThat(decide(p, 3, 4).desired()).isEqualTo(4);
    assertThat(decide(p, 1, 1).desired()).as("below min after a crash").isEqualTo(2);
    assertThat(decide(p, 1, 6).desired()).as("below min: straight to what the policy wants").isEqualTo(6);
    assertThat(decide(p, 9, 8).desired()).as("above max").isEqualTo(8);
  }

  @Test
  void aScaleDownAtMostDividesTheCountByTheRate() {
    BoundedPolicy p = new BoundedPolicy(told, 1, 100, Duration.ZERO, Duration.ZERO, 2.0);
    Decision d = decide(p, 40, 5);
    assertThat(d.desired()).isEqualTo(20);
    assertThat(d.reason()).isEqualTo("told 5 (limited to 20 by max_scale_down_rate 2)");
    assertThat(decide(p, 20, 5).desired()).isEqualTo(10);
    assertThat(decide(p, 10, 5).desired()).isEqualTo(5);
    assertThat(decide(p, 7, 3).desired()).as("ceil(7 / 2) = 4").isEqualTo(4);
    assertThat(decide(p, 4, 60).desired()).as("scale-up is not limited").isEqualTo(60);
    assertThat(decide(p, 120, 1).desired()).as("above max: max at once, then the rate").isEqualTo(60);
    assertThat(decide(p, 300, 1).desired()).as("above max: max at once, then the rate").isEqualTo(100);
  }

  @Test
  void fromZeroWaitingRequestsStartAnInstanceWhateverThePolicySays() {
    BoundedPolicy p = new BoundedPolicy(told, 0, 4, Duration.ZERO, Duration.ZERO, NO_RATE_LIMIT);
    assertThat(decide(p, 0, 0, 0).desired()).as("nothing waiting: stay at zero").isZero();
    Decision d = decide(p, 0, 0, 3);
    assertThat(d.desired()).isEqualTo(1);
    assertThat(d.reason()).isEqualTo("told 0 (3 waiting with no instance: starting one)");
    assertThat(decide(p, 0, 2, 3).desired()).as("a policy that asks for more gets it").isEqualTo(2);
    assertThat(decide(p, 1, 0, 0).desired()).as("and may go back to zero").isZero();
  }
}
