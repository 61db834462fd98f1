package io.stc.proxy;

/**
 * The HTTP/2 receive window beyond the protocol's 64 KiB that one event loop's streams may hold at
 * once. A stream's window is what stc may have to keep for it when the other side stops taking its
 * bytes, so windows grown for far peers ({@link Http2ReceiveWindow}) come from this fixed amount
 * and go back when their streams close: many connections asking cannot take the process's memory.
 */
final class Http2WindowBudget {
  /** The least the whole process gets: four streams at {@link Http2ReceiveWindow#MAX}. */
  static final long LEAST = 4L * Http2ReceiveWindow.MAX;
  /** The most: 1 GiB. */
  static final long MOST = 1L << 30;

  private final int bytes;
  private int left;
  /** Where what is held shows, across loops (a metric). */
  private final ProxyStats stats;

  Http2WindowBudget(int bytes, ProxyStats stats) {
    this.bytes = bytes;
    this.left = bytes;
    this.stats = stats;
  }

  /**
   * One event loop's share of a process budget of a sixteenth of the heap (the request queue may
   * take a quarter), within {@link #LEAST} and {@link #MOST}: 192 MiB a loop with two loops and a
   * 6 GiB heap.
   */
  static Http2WindowBudget perLoop(long maxHeap, int loops, ProxyStats stats) {
    long process = Math.max(LEAST, Math.min(MOST, maxHeap / 16));
    return new Http2WindowBudget((int) (process / Math.max(1, loops)), stats);
  }

  /**
   * Takes up to {@code want} bytes, and at most half of what is left, so that the streams that
   * come while others hold much still get some; returns how many were taken (0 when none are left).
   */
  int take(int want) {
    int got = Math.max(0, Math.min(want, (left + 1) / 2));
    left -= got;
    stats.http2WindowHeld(got);
    return got;
  }

  /** What was taken and not given back. */
  int held() {
    return bytes - left;
  }

  /** Gives back bytes taken before. */
  void give(int bytes) {
    left += bytes;
    stats.http2WindowHeld(-bytes);
  }

  /** What is left to take. */
  int left() {
    return left;
  }
}
