package io.stc.scale;

import static io.stc.scale.Decision.num;

/**
 * Requests per second per ready instance: above {@code up} add one instance, below {@code down}
 * remove one. Holds while an instance is starting. The rate is what arrived, not what the
 * instances finished, so an overloaded pool (whose completions are capped) still reads as one.
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
    double rate = s.demandRatePerInstance();
    String measured = "req/s per instance " + num(rate);
    if (rate > up) {
      return new Decision(current + 1, measured + " > " + num(up));
    }
    if (rate < down) {
      return new Decision(current - 1, measured + " < " + num(down));
    }
    return new Decision(current, measured + " within " + num(down) + ".." + num(up));
  }
}
