package io.stc.scale;

import static io.stc.scale.Decision.num;

/**
 * Requests per second per ready instance: above {@code up} add one instance, below {@code down}
 * remove one. Holds while an instance is starting.
 */
final class RpsPolicy implements ScalingPolicy {
  private final double up;
  private final double down;

  RpsPolicy(double up, double down) {
    this.up = up;
    this.down = down;
  }

  @Override
  public String name() {
    return "rps";
  }

  @Override
  public Decision decide(ScaleSnapshot s, long now) {
    int current = s.current();
    if (s.pending() > 0) {
      return new Decision(current, "waiting for " + s.pending() + " starting instance(s)");
    }
    String measured = "req/s per instance " + num(s.rpsPerInstance());
    if (s.rpsPerInstance() > up) {
      return new Decision(current + 1, measured + " > " + num(up));
    }
    if (s.rpsPerInstance() < down) {
      return new Decision(current - 1, measured + " < " + num(down));
    }
    return new Decision(current, measured + " within " + num(down) + ".." + num(up));
  }
}
