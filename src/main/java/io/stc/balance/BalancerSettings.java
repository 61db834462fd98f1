package io.stc.balance;

import java.time.Duration;
import java.util.Objects;

/**
 * The options some balancing algorithms take: the request key a hashing balancer uses, and the
 * slow-start window over which a backend that has just come UP ramps up to its full weight
 * ({@link Duration#ZERO} turns slow start off).
 */
public record BalancerSettings(HashKey hashKey, Duration slowStart) {
  /** Slow start is capped so its window in nanoseconds cannot overflow. */
  static final Duration MAX_SLOW_START = Duration.ofDays(1);

  /** Key by client IP, no slow start. */
  public static final BalancerSettings DEFAULTS = new BalancerSettings(HashKey.CLIENT_IP, Duration.ZERO);

  public BalancerSettings {
    Objects.requireNonNull(hashKey, "hashKey");
    Objects.requireNonNull(slowStart, "slowStart");
    if (slowStart.isNegative() || slowStart.compareTo(MAX_SLOW_START) > 0) {
      throw new IllegalArgumentException(
          "slow_start must be between 0 and " + MAX_SLOW_START.toHours() + "h, got " + slowStart);
    }
  }

  public BalancerSettings withHashKey(HashKey key) {
    return new BalancerSettings(key, slowStart);
  }

  public BalancerSettings withSlowStart(Duration window) {
    return new BalancerSettings(hashKey, window);
  }
}
