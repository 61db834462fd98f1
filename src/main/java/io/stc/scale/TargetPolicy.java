package io.stc.scale;

import static io.stc.scale.Decision.ceil;
import static io.stc.scale.Decision.num;
import static io.stc.scale.Decision.seconds;

import io.stc.config.AutoscaleConfig.Metric;
import java.time.Duration;

/**
 * The Kubernetes HPA formula: {@code desired = ceil(ready x metric / target)}, with no change while
 * the ratio is within the tolerance of 1. A scale-up adds at most {@code maxStepUp} instances or
 * as many as there are, whichever is more (the HPA's default scale-up policy: 4 pods or 100%);
 * scale-downs take the highest recommendation of the stabilization window, so a dip must last the
 * whole window before instances go. The rps metric counts what arrived, so an overloaded pool
 * reads as one.
 */
final class TargetPolicy implements ScalingPolicy {
  private final Metric metric;
  private final double target;
  private final double tolerance;
  private final long stabilizationNanos;
  private final int maxStepUp;
  private final SlidingWindow recommendations;

  TargetPolicy(Metric metric, double target, double tolerance, Duration stabilizationWindow, int maxStepUp) {
    this.metric = metric;
    this.target = target;
    this.tolerance = tolerance;
    this.stabilizationNanos = stabilizationWindow.toNanos();
    this.maxStepUp = maxStepUp;
    this.recommendations = new SlidingWindow(stabilizationNanos);
  }

  @Override
  public String name() {
    return "target";
  }

  @Override
  public Decision decide(ScaleSnapshot s, long now) {
    int current = s.current();
    if (s.ready() == 0) {
      // Nothing to measure; the pending instances (or the minimum) come first.
      return new Decision(current, "no ready instance to measure " + label());
    }
    double value = value(s);
    double ratio = value / target;
    String measured = label() + " " + num(value) + " / target " + num(target) + " = " + num(ratio);
    int recommended;
    String why;
    // The epsilon keeps 44 / 40 = 1.1000000000000001 within a tolerance of 0.1.
    if (Math.abs(ratio - 1) <= tolerance + 1e-9) {
      recommended = current;
      why = measured + ", within tolerance " + num(tolerance);
    } else {
      recommended = ceil(s.ready() * ratio);
      why = measured + ": " + s.ready() + " ready x " + num(ratio) + " -> " + recommended;
    }
    int step = Math.max(maxStepUp, current);
    if (recommended > current + step) {
      recommended = current + step;
      why += ", at most " + step + " more at once (max_step_up " + maxStepUp + " or 100%) -> " + recommended;
    }
    recommendations.add(now, recommended);
    if (recommended < current) {
      int stabilized = Math.min(current, (int) recommendations.max(now, stabilizationNanos));
      if (stabilized > recommended) {
        why += ", held at " + stabilized + " by the " + seconds(stabilizationNanos) + " stabilization window";
        recommended = stabilized;
      }
    }
    return new Decision(recommended, why);
  }

  private double value(ScaleSnapshot s) {
    return switch (metric) {
      case INFLIGHT -> s.demand() / s.ready();
      case RPS -> s.demandRatePerInstance();
      case P99_MS -> s.p99Millis();
    };
  }

  private String label() {
    return switch (metric) {
      case INFLIGHT -> "in-flight+queued per instance";
      case RPS -> "req/s per instance";
      case P99_MS -> "p99 ms";
    };
  }
}
