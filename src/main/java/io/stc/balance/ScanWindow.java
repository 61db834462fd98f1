package io.stc.balance;

/**
 * Which backends a scanning balancer compares on one pick: all of them in a pool of up to
 * {@link #SIZE}, else {@link #SIZE} spread evenly around the pool from the pick's starting point.
 *
 * <p>Like Envoy's least-request sampling, this keeps a pick's cost flat as the pool grows (a full
 * scan of 1,000 backends costs microseconds on the hot path) while the best of 16 is, with
 * overwhelming probability, among the least loaded few percent. Spreading the sample instead of
 * taking neighbours keeps backends that were added together (one slow host, say) from forming a
 * window of their own.
 */
final class ScanWindow {
  /** Up to this many backends, a pick compares every one. */
  static final int SIZE = 16;

  private ScanWindow() {}

  /** How many backends a pick compares in a pool of {@code n}. */
  static int size(int n) {
    return Math.min(n, SIZE);
  }

  /** The distance between compared backends in a pool of {@code n}. */
  static int step(int n) {
    return n <= SIZE ? 1 : n / SIZE;
  }
}
