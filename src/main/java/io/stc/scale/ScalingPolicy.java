package io.stc.scale;

import io.stc.config.AutoscaleConfig;

/**
 * Turns a snapshot and the time into a desired instance count. Policies are pure apart from the
 * history they keep (windows, cooldowns): the same calls with the same times give the same answers.
 * Called from one thread.
 */
public interface ScalingPolicy {
  /** The config name of the policy, such as {@code concurrency}. */
  String name();

  Decision decide(ScaleSnapshot snapshot, long nowNanos);

  /** The configured policy wrapped in the min/max bounds and cooldowns, its schedule read by the system's clock. */
  static ScalingPolicy of(AutoscaleConfig c) {
    return of(c, new ScheduledFloor(c.min(), c.max(), c.schedule(), System::currentTimeMillis));
  }

  /** The configured policy wrapped in the bounds and cooldowns, {@code min} as {@code floor} says at each decision. */
  static ScalingPolicy of(AutoscaleConfig c, ScheduledFloor floor) {
    ScalingPolicy inner =
        switch (c.policy()) {
          case SLO -> new SloPolicy(
              c.slo(), c.maxInflight(), c.target() * c.utilization(), c.stableWindow(), c.startTimeout());
          case CONCURRENCY -> new ConcurrencyPolicy(
              c.target(), c.utilization(), c.stableWindow(), c.panicWindow(), c.panicThreshold());
          case TARGET -> new TargetPolicy(
              c.metric(), c.target(), c.tolerance(), c.stabilizationWindow(), c.maxStepUp());
          case THRESHOLD -> new ThresholdPolicy(c.maxInflight(), c.thresholdUp(), c.thresholdDown());
          case RPS -> new RpsPolicy(c.rpsUp(), c.rpsDown());
        };
    return new BoundedPolicy(inner, floor, c.max(), c.cooldownUp(), c.cooldownDown(), c.maxScaleDownRate());
  }
}
