package io.stc.proxy;

import io.netty.handler.codec.http2.Http2CodecUtil;

/**
 * How large an HTTP/2 connection's stream receive windows should be: its bandwidth-delay product,
 * measured with PINGs while DATA arrives. A window of the protocol's 64 KiB lets a peer send 64 KiB
 * per round trip, so an upload from a client 50 ms away crawls at about 1 MB/s whatever its link;
 * TCP sizes its own window to the path the same way. The bytes that arrive between a PING and its
 * acknowledgement are what one round trip carried; when they are half the window or more, the
 * window doubles, up to {@link #MAX}. grpc-go's transport estimates the same way.
 */
final class Http2ReceiveWindow {
  /** The largest window a stream is given: 8 MiB, 80 MB/s to a peer 100 ms away. */
  static final int MAX = 8 << 20;
  /** The payload that marks stc's own measuring PINGs (ASCII "stc-bdp."), so a peer's acknowledgements of others are told apart. */
  static final long PING = 0x7374632d6264702eL;

  private int window = Http2CodecUtil.DEFAULT_WINDOW_SIZE;
  /** Whether a measuring PING is out and unacknowledged. */
  private boolean measuring;
  /** Bytes of DATA received since the PING went out. */
  private long sample;
  /** Bytes of DATA received since the last PING came back, while none is out. */
  private long since;

  /** The window streams should have now. */
  int window() {
    return window;
  }

  /**
   * Counts {@code bytes} of DATA received; true when a measuring PING should go out now (the caller
   * sends it, with {@link #PING} as its payload). A PING goes out only once half a window has
   * arrived since the last came back: less in a round trip cannot grow the window, and a
   * connection of small messages gets no PING for each.
   */
  boolean received(int bytes) {
    if (measuring) {
      sample += bytes;
      return false;
    }
    if (window >= MAX) {
      return false;
    }
    since += bytes;
    if (since * 2 < window) {
      return false;
    }
    since = 0;
    measuring = true;
    sample = bytes;
    return true;
  }

  /** The measuring PING came back; true when the window grew. */
  boolean acknowledged() {
    if (!measuring) {
      return false;
    }
    measuring = false;
    // Half a window or more in one round trip: the window, not the path, may be what held the
    // peer back (a peer with a window of W keeps at most 3/4 W in flight, as stc gives a window back
    // once a quarter of it was taken). The window doubles, as TCP's does in slow start, or becomes
    // twice what the round trip carried if that is more; it stops growing once a round trip
    // carries less than half of it. A peer that delays its acknowledgements to look far away gains
    // no more than MAX, and windows beyond the protocol's come only from the loop's budget.
    if (sample * 2 < window) {
      return false;
    }
    window = (int) Math.min(MAX, Math.max(sample, window) * 2);
    return true;
  }
}
