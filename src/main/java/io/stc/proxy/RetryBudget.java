package io.stc.proxy;

/**
 * How many retries one event loop may make: a share of the requests it took over the last ten
 * seconds, and its part of ten a second at least, as Linkerd's retry budget (20% and 10/s) and
 * Envoy's bound them. Without one, a pool that fails everything (overloaded, or cut off) is sent
 * each request up to {@code retries + 1} times just when it can least take it: a retry storm that
 * keeps it down. With one, a backend that fails alone is still retried around (its requests are a
 * fraction of the rest, and the breaker soon takes it out), while a pool that fails as a whole
 * gets little more than its own traffic. Counted per loop, so the hot path shares nothing: the
 * loops take about even shares of the requests. Time is the proxy's clock, in whole seconds.
 */
final class RetryBudget {
  /** The window retries and requests are counted over, in one-second buckets. */
  private static final int SECONDS = 10;
  /** Retries a second the budget allows in all, however few the requests (Linkerd's floor). */
  static final int MIN_PER_SECOND = 10;

  private final long[] requests = new long[SECONDS];
  private final long[] retries = new long[SECONDS];
  /** Retries allowed per request; negative: no budget. */
  private final double ratio;
  /** Retries allowed in the window whatever the requests: this loop's share of the floor. */
  private final double floor;
  private long second;
  private boolean started;

  /** @param percent retries per hundred requests, or {@code StcConfig.NO_RETRY_BUDGET}; {@code loops} share the floor */
  RetryBudget(int percent, int loops) {
    this.ratio = percent < 0 ? -1 : percent / 100.0;
    this.floor = Math.max(1.0, (double) MIN_PER_SECOND * SECONDS / Math.max(1, loops));
  }

  void requestStarted(long nowNanos) {
    requests[slot(nowNanos)]++;
  }

  /** Whether one more retry fits now; {@link #spent} once it is made. */
  boolean allows(long nowNanos) {
    if (ratio < 0) {
      return true;
    }
    slot(nowNanos);
    long asked = 0;
    long retried = 0;
    for (int i = 0; i < SECONDS; i++) {
      asked += requests[i];
      retried += retries[i];
    }
    return retried < floor + ratio * asked;
  }

  void spent(long nowNanos) {
    retries[slot(nowNanos)]++;
  }

  /** The bucket of {@code nowNanos}'s second, the buckets of seconds since the last call emptied. */
  private int slot(long nowNanos) {
    long s = Math.floorDiv(nowNanos, 1_000_000_000L);
    if (!started || s - second >= SECONDS) {
      java.util.Arrays.fill(requests, 0);
      java.util.Arrays.fill(retries, 0);
      started = true;
      second = s;
    } else {
      while (second < s) {
        second++;
        int k = (int) Math.floorMod(second, (long) SECONDS);
        requests[k] = 0;
        retries[k] = 0;
      }
    }
    return (int) Math.floorMod(s, (long) SECONDS);
  }
}
