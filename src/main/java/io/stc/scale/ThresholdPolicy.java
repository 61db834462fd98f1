package io.stc.scale;

import static io.stc.scale.Decision.num;

/**
 * The predecessor's rule: utilization is in-flight plus queued over capacity (ready x
 * {@code maxInflight}); above {@code up} add one instance, below {@code down} remove one. Holds
 * while an instance is starting, so a warm-up is not mistaken for missing capacity, unless the
 * pool is past full (utilization above 100%: requests wait), when waiting would only lengthen the
 * queue.
 */
final class ThresholdPolicy implements ScalingPolicy {
  private final int maxInflight;
  private final double up;
  private final double down;

  ThresholdPolicy(int maxInflight, double up, double down) {
    this.maxInflight = maxInflight;
    this.up = up;
    this.down = down;
  }

  @Override
  public String name() {
    return "threshold";
  }

  @Override
  public Decision decide(ScaleSnapshot s, long now) {
    int current = s.current();
    int capacity = s.ready() * maxInflight;
    if (s.pending() > 0 && (capacity == 0 || s.demand() <= capacity)) {
      return new Decision(current, "waiting for " + s.pending() + " starting instance(s)");
    }
    double utilization = capacity == 0 ? (s.demand() > 0 ? Double.POSITIVE_INFINITY : 0) : s.demand() / capacity;
    String measured = "utilization " + (capacity == 0 ? (s.demand() > 0 ? "full" : "0%") : percent(utilization))
        + " (in-flight+queued " + num(s.demand()) + " / capacity " + capacity + ")";
    if (utilization > 1 && s.pending() > 0) {
      // Past full with instances on their way: one more per decision, as if none were starting.
      return new Decision(current + 1, measured + " > 100% while " + s.pending() + " start");
    }
    if (utilization > up) {
      return new Decision(current + 1, measured + " > " + percent(up));
    }
    if (utilization < down) {
      return new Decision(current - 1, measured + " < " + percent(down));
    }
    return new Decision(current, measured + " within " + percent(down) + ".." + percent(up));
  }

  private static String percent(double fraction) {
    return num(Math.round(fraction * 1000) / 10.0) + "%";
  }
}
