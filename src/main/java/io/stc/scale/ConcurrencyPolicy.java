package io.stc.scale;

import static io.stc.scale.Decision.ceil;
import static io.stc.scale.Decision.num;
import static io.stc.scale.Decision.seconds;

import java.time.Duration;

/**
 * Knative's concurrency autoscaling: enough instances that each carries {@code target x
 * utilization} of the in-flight plus queued requests, averaged over a stable window.
 *
 * <p>A burst would take a whole stable window to show in that average, so a short panic window
 * watches too: when its demand reaches {@code panicThreshold} times the ready capacity, the policy
 * panics and sizes for the short window at once. While panicking it never scales down (so a burst
 * that pauses does not tear down what it needed); it calms down once a whole stable window passes
 * without crossing the threshold.
 */
final class ConcurrencyPolicy implements ScalingPolicy {
  private static final long NOT_PANICKING = Long.MIN_VALUE;

  private final double target;
  private final double utilization;
  private final double perInstance;
  private final long stableNanos;
  private final long panicNanos;
  private final double panicThreshold;
  private final SlidingWindow demand;
  private long lastOverThresholdNanos = NOT_PANICKING;
  private int panicFloor;

  ConcurrencyPolicy(double target, double utilization, Duration stableWindow, Duration panicWindow, double panicThreshold) {
    this.target = target;
    this.utilization = utilization;
    this.perInstance = target * utilization;
    this.stableNanos = stableWindow.toNanos();
    this.panicNanos = panicWindow.toNanos();
    this.panicThreshold = panicThreshold;
    this.demand = new SlidingWindow(stableNanos);
  }

  @Override
  public String name() {
    return "concurrency";
  }

  /** Whether the last decision was taken in panic mode. */
  boolean panicking() {
    return lastOverThresholdNanos != NOT_PANICKING;
  }

  @Override
  public Decision decide(ScaleSnapshot s, long now) {
    demand.add(now, s.demand());
    double stableAvg = demand.average(now, stableNanos);
    double panicAvg = demand.average(now, panicNanos);
    int stableDesired = ceil(stableAvg / perInstance);
    int panicDesired = ceil(panicAvg / perInstance);
    // With nothing ready yet, one instance's worth of capacity is the yardstick, as in Knative.
    int readyBase = Math.max(1, s.ready());
    double capacity = readyBase * perInstance;
    boolean over = panicAvg >= panicThreshold * capacity;

    if (over) {
      if (!panicking()) {
        panicFloor = s.current();
      }
      lastOverThresholdNanos = now;
    } else if (panicking() && now - lastOverThresholdNanos >= stableNanos) {
      lastOverThresholdNanos = NOT_PANICKING;
      panicFloor = 0;
    }

    if (!panicking()) {
      return new Decision(stableDesired, "in-flight+queued " + num(stableAvg) + " (" + seconds(stableNanos)
          + " avg) / (target " + num(target) + " x " + num(utilization) + ") -> " + stableDesired);
    }
    int desired = Math.max(panicDesired, panicFloor);
    panicFloor = desired;
    String sizing = "-> " + panicDesired + (desired > panicDesired ? ", panic holds " + desired : "");
    if (over) {
      return new Decision(desired, "panic: in-flight+queued " + num(panicAvg) + " (" + seconds(panicNanos)
          + " avg) >= " + num(panicThreshold) + " x capacity " + num(capacity) + " (" + readyBase + " x target "
          + num(target) + " x " + num(utilization) + ") " + sizing);
    }
    long calmLeft = lastOverThresholdNanos + stableNanos - now;
    return new Decision(desired, "panic, calm for " + seconds(now - lastOverThresholdNanos) + " of "
        + seconds(stableNanos) + " (" + seconds(calmLeft) + " left): in-flight+queued " + num(panicAvg) + " ("
        + seconds(panicNanos) + " avg) " + sizing);
  }
}
