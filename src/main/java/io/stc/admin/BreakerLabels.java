package io.stc.admin;

import io.stc.health.CircuitBreaker;

/** How circuit-breaker states read in the API and in event names. */
final class BreakerLabels {
  private BreakerLabels() {}

  /** closed, open or half_open. */
  static String state(CircuitBreaker.State s) {
    return s.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The event suffix for entering {@code s}: opened, closed, half_open. */
  static String event(CircuitBreaker.State s) {
    return switch (s) {
      case OPEN -> "opened";
      case CLOSED -> "closed";
      case HALF_OPEN -> "half_open";
    };
  }
}
