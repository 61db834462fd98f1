package io.stc.traffic;

import io.stc.pool.Backend;

/**
 * A modelled backend instance in a {@link Simulation}: its capacity, its lifecycle as the
 * autoscaler sees it, and the real {@link Backend} it is in the pool as once started.
 */
final class SimulatedInstance {
  /** Where the instance is in its life, as the real autoscaler's phases. */
  enum Phase {
    /** Being started; counts as pending capacity. */
    STARTING,
    /** Scaled down while starting: stopped as soon as it is up. */
    CANCELLED,
    /** In rotation. */
    ACTIVE,
    /** Out of rotation, its in-flight requests finishing. */
    DRAINING,
    /** Out of the pool and stopped; no longer costs anything. */
    STOPPED
  }

  final int number;
  final String name;
  final int capacity;
  final long createdNanos;
  Phase phase = Phase.STARTING;
  long phaseSinceNanos;
  long stoppedNanos = Long.MAX_VALUE;
  Backend backend;
  /** Consecutive drain checks that saw nothing in flight. */
  int idleChecks;

  /** Instance {@code number} (from 1), named {@code auto-<number>} as the autoscaler names its slots. */
  SimulatedInstance(int number, int capacity, long nowNanos) {
    this.number = number;
    this.name = "auto-" + number;
    this.capacity = capacity;
    this.createdNanos = nowNanos;
    this.phaseSinceNanos = nowNanos;
  }

  void phase(Phase p, long nowNanos) {
    phase = p;
    phaseSinceNanos = nowNanos;
  }

  boolean pending() {
    return phase == Phase.STARTING;
  }

  boolean ready() {
    return phase == Phase.ACTIVE;
  }

  /** Seconds this instance existed within {@code [0, endNanos)}: what it cost. */
  double secondsWithin(long endNanos) {
    long until = Math.min(stoppedNanos, endNanos);
    return until > createdNanos ? (until - createdNanos) / 1e9 : 0;
  }
}
