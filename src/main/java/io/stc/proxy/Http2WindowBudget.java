package io.stc.proxy;

/**
 * The HTTP/2 receive window beyond the protocol's 64 KiB that one event loop's streams may hold at
 * once. A stream's window is what stc may have to keep for it when the other side stops taking its
 * bytes, so windows grown for far peers ({@link Http2ReceiveWindow}) come from this fixed amount
 * and go back when their streams close: many connections asking cannot take the process's memory.
 */
final class Http2WindowBudget {
  /** Each event loop's share: four streams at {@link Http2ReceiveWindow#MAX} at once. */
  static final int PER_LOOP = 4 * Http2ReceiveWindow.MAX;

  private int left;

  Http2WindowBudget(int bytes) {
    this.left = bytes;
  }

  /** Takes up to {@code want} bytes; returns how many were taken (0 when none are left). */
  int take(int want) {
    int got = Math.max(0, Math.min(want, left));
    left -= got;
    return got;
  }

  /** Gives back bytes taken before. */
  void give(int bytes) {
    left += bytes;
  }

  /** What is left to take. */
  int left() {
    return left;
  }
}
