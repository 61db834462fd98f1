package io.stc.balance;

import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.time.Duration;

/**
 * A backend's effective weight while it ramps in after coming UP: weight × max(floor,
 * elapsed/window) inside the window, the full weight after it; when every available backend is
 * inside its window (a fresh start) nobody ramps.
 *
 * <p>Each balancer owns its instance: it caches, per pool snapshot, the oldest and newest UP times
 * so that deciding whether anything ramps costs O(1) per pick.
 */
public final class SlowStart {
  /** No ramp at all: {@link #enabled()} is false and nothing is cached. */
  public static final SlowStart OFF = new SlowStart(Duration.ZERO);

  /** The least share of its weight a ramping backend gets, so it is tried from the start. */
  static final double FLOOR = 0.1;

  /** Weight resolution of {@link #steps}: the ramp is quantised to 1/STEPS of the weight. */
  static final int STEPS = 20;

  private static final int FLOOR_STEPS = (int) Math.ceil(FLOOR * STEPS);

  private final long windowNanos;
  private final long stepNanos;
  private volatile Bounds bounds = new Bounds(null, 0, 0);

  // The UP-since times of a snapshot's available backends: all a ramp decision needs.
  private record Bounds(Pool pool, long oldest, long newest) {}

  public SlowStart(Duration window) {
    this.windowNanos = window.toNanos();
    this.stepNanos = Math.max(1, windowNanos / STEPS);
  }

  public boolean enabled() {
    return windowNanos > 0;
  }

  /**
   * Whether weights ramp in {@code pool} at {@code nowNanos}: some available backend is inside its
   * window and some is not.
   */
  public boolean ramping(Pool pool, long nowNanos) {
    if (windowNanos <= 0 || pool.availableCount() < 2) {
      return false;
    }
    Bounds b = bounds;
    if (b.pool != pool) {
      b = boundsOf(pool);
      bounds = b;
    }
    return nowNanos - b.newest < windowNanos && nowNanos - b.oldest >= windowNanos;
  }

  private static Bounds boundsOf(Pool pool) {
    long oldest = Long.MAX_VALUE;
    long newest = Long.MIN_VALUE;
    for (Backend b : pool.available()) {
      oldest = Math.min(oldest, b.stateSinceNanos());
      newest = Math.max(newest, b.stateSinceNanos());
    }
    return new Bounds(pool, oldest, newest);
  }

  /** The share of its weight {@code b} gets at {@code nowNanos}: max(floor, elapsed/window), 1 once past the window. */
  public double factor(Backend b, long nowNanos) {
    long elapsed = nowNanos - b.stateSinceNanos();
    if (elapsed >= windowNanos) {
      return 1.0;
    }
    return Math.max(FLOOR, (double) Math.max(0, elapsed) / windowNanos);
  }

  /** {@code b}'s weight at {@code nowNanos} when {@code ramping}, else its configured weight. */
  public double weight(Backend b, long nowNanos, boolean ramping) {
    return ramping ? b.weight() * factor(b, nowNanos) : b.weight();
  }

  /**
   * {@link #factor} quantised to whole 1/{@link #STEPS}ths of the weight (between the floor and
   * STEPS), for algorithms that need integer weights.
   */
  public int steps(Backend b, long nowNanos) {
    long elapsed = nowNanos - b.stateSinceNanos();
    if (elapsed >= windowNanos) {
      return STEPS;
    }
    return (int) Math.max(FLOOR_STEPS, Math.max(0, elapsed) / stepNanos);
  }

  /** Which 1/STEPS of a window {@code nowNanos} falls in: work derived from {@link #steps} can be kept while it stays the same. */
  public long epoch(long nowNanos) {
    return Math.floorDiv(nowNanos, stepNanos);
  }
}
