package io.stc.scale;

import static io.stc.scale.Decision.num;
import static io.stc.scale.Decision.seconds;

import java.time.Duration;

/**
 * Wraps a policy in what every policy shares: the desired count stays within [min, max], and a
 * change waits out its cooldown. {@code cooldownUp} runs from the last scale-up;
 * {@code cooldownDown} from the last change either way, so instances just added are not taken away
 * at once. A scale-down keeps at least {@code current / maxScaleDownRate} instances (Knative's
 * max-scale-down-rate), so one quiet moment cannot tear most of the pool down at once and a
 * policy that overshoots downwards approaches its target in steps instead of oscillating. Being
 * outside [min, max] is corrected without waiting (from above max: at least down to max, and no
 * further than the rate allows).
 */
final class BoundedPolicy implements ScalingPolicy {
  private static final long NEVER = Long.MIN_VALUE;

  private final ScalingPolicy inner;
  private final ScheduledFloor min;
  private final int max;
  private final long cooldownUpNanos;
  private final long cooldownDownNanos;
  private final double maxScaleDownRate;
  private long lastUpNanos = NEVER;
  private long lastChangeNanos = NEVER;

  BoundedPolicy(ScalingPolicy inner, int min, int max, Duration cooldownUp, Duration cooldownDown, double maxScaleDownRate) {
    this(inner, new ScheduledFloor(min, max, java.util.List.of(), () -> 0), max, cooldownUp, cooldownDown, maxScaleDownRate);
  }

  /** @param min the fewest instances at each moment: {@code autoscale.min}, raised by its schedule */
  BoundedPolicy(
      ScalingPolicy inner, ScheduledFloor min, int max, Duration cooldownUp, Duration cooldownDown, double maxScaleDownRate) {
    if (min.now() < 0 || max < min.now()) {
      throw new IllegalArgumentException("need 0 <= min <= max, got min " + min.now() + ", max " + max);
    }
    this.inner = inner;
    this.min = min;
    this.max = max;
    this.cooldownUpNanos = cooldownUp.toNanos();
    this.cooldownDownNanos = cooldownDown.toNanos();
    this.maxScaleDownRate = maxScaleDownRate;
  }

  @Override
  public String name() {
    return inner.name();
  }

  ScalingPolicy inner() {
    return inner;
  }

  @Override
  public Decision decide(ScaleSnapshot s, long now) {
    Decision d = inner.decide(s, now);
    int current = s.current();
    int floor = min.now();
    int want = Math.max(floor, Math.min(max, d.desired()));
    String reason = d.reason();
    if (want != d.desired()) {
      String scheduled = min.why();
      reason += want == max ? " (capped at max " + max + ")"
          : " (raised to min " + floor + (scheduled == null ? "" : ": " + scheduled) + ")";
    }
    if (want == 0 && current == 0 && s.demand() > 0) {
      // Scaled to zero and requests are waiting: policies that measure per ready instance (the HPA
      // formula, utilization steps) see nothing to measure, so the first instance is started here.
      want = 1;
      reason += " (" + num(s.demand()) + " waiting with no instance: starting one)";
    }
    if (want > current && current >= floor) {
      long left = remaining(lastUpNanos, cooldownUpNanos, now);
      if (left > 0) {
        return new Decision(current, "cooldown_up " + seconds(left) + " left, holding " + current + " (wanted " + want + ": " + reason + ")");
      }
    }
    int rateFloor = Math.min(max, (int) Math.ceil(current / maxScaleDownRate));
    if (want < current && want < rateFloor) {
      reason += " (limited to " + rateFloor + " by max_scale_down_rate " + num(maxScaleDownRate) + ")";
      want = rateFloor;
    }
    if (want < current && current <= max) {
      long left = remaining(lastChangeNanos, cooldownDownNanos, now);
      if (left > 0) {
        return new Decision(current, "cooldown_down " + seconds(left) + " left, holding " + current + " (wanted " + want + ": " + reason + ")");
      }
    }
    if (want > current) {
      lastUpNanos = now;
      lastChangeNanos = now;
    } else if (want < current) {
      lastChangeNanos = now;
    }
    return new Decision(want, reason);
  }

  private static long remaining(long since, long cooldown, long now) {
    return since == NEVER ? 0 : since + cooldown - now;
  }
}
