package io.stc.balance;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.time.Duration;

/**
 * Slow start around a weighted balancer: a backend that has just come UP gets weight ×
 * max(floor, elapsed/window) inside the window, in steps of 1/{@link #STEPS}, and its full weight
 * after it; when every available backend is inside its window (a fresh start) nobody ramps. With a
 * zero window the balancer always gets the configured weights.
 *
 * <p>The algorithm never knows: it is handed a {@link WeightedPool} that is the same instance
 * throughout a snapshot when nothing ramps and throughout one step of the window when something
 * does, so it can cache what it derives from the weights and rebuild it once per step.
 */
final class SlowStart implements Balancer {
  /** The least share of its weight a ramping backend gets, so it is tried from the start. */
  static final double FLOOR = 0.1;

  /** Weight resolution: the ramp is quantised to 1/STEPS of the weight and of the window. */
  static final int STEPS = 20;

  private static final int FLOOR_STEPS = (int) Math.ceil(FLOOR * STEPS);
  private static final long NOT_RAMPING = Long.MIN_VALUE;

  private final WeightedBalancer balancer;
  private final Clock clock;
  private final long windowNanos;
  private final long stepNanos;
  private volatile Bounds bounds = new Bounds(null, 0, 0);
  private volatile Weights weights = new Weights(null, NOT_RAMPING, null);

  // The UP-since times of a snapshot's available backends: all a ramp decision needs, in O(1) per pick.
  private record Bounds(Pool pool, long oldest, long newest) {}

  // The weights last handed out: for one snapshot and, while something ramps, one step of the window.
  private record Weights(Pool pool, long step, WeightedPool weighted) {}

  SlowStart(WeightedBalancer balancer, Clock clock, Duration window) {
    this.balancer = balancer;
    this.clock = clock;
    this.windowNanos = window.toNanos();
    this.stepNanos = Math.max(1, windowNanos / STEPS);
  }

  @Override
  public Backend pick(Request request, Pool pool) {
    return balancer.pick(request, weighted(pool));
  }

  /** {@code pool} with the weights its backends take now. */
  WeightedPool weighted(Pool pool) {
    long now = 0;
    long step = NOT_RAMPING;
    if (windowNanos > 0) {
      now = clock.nanos();
      if (ramping(pool, now)) {
        step = Math.floorDiv(now, stepNanos);
      }
    }
    Weights w = weights;
    if (w.pool != pool || w.step != step) {
      w = new Weights(pool, step, step == NOT_RAMPING ? WeightedPool.configured(pool) : ramped(pool, now));
      weights = w;
    }
    return w.weighted;
  }

  private WeightedPool ramped(Pool pool, long now) {
    Backend[] up = pool.available();
    long[] w = new long[up.length];
    for (int i = 0; i < up.length; i++) {
      w[i] = (long) up[i].weight() * steps(up[i], now);
    }
    return new WeightedPool(pool, w);
  }

  /**
   * Whether weights ramp in {@code pool} at {@code nowNanos}: some available backend is inside its
   * window and some is not.
   */
  boolean ramping(Pool pool, long nowNanos) {
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

  /** How many 1/{@link #STEPS}ths of its weight {@code b} gets at {@code nowNanos}: from the floor's to all of them once past the window. */
  int steps(Backend b, long nowNanos) {
    long elapsed = nowNanos - b.stateSinceNanos();
    if (elapsed >= windowNanos) {
      return STEPS;
    }
    return (int) Math.max(FLOOR_STEPS, Math.max(0, elapsed) / stepNanos);
  }
}
