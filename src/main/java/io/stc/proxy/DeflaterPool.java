package io.stc.proxy;

import java.util.ArrayDeque;
import java.util.zip.Deflater;

/**
 * An event loop's deflaters for gzip-encoded responses. Each holds about 300 KiB of native memory,
 * so they are made once and reused, and at most {@link #MAX_IN_USE} work at once on a loop: a
 * response beyond that goes out as the backend sent it, which is always allowed.
 */
final class DeflaterPool {
  static final int MAX_IN_USE = 256;
  private final ArrayDeque<Deflater> free = new ArrayDeque<>();
  private final byte[] scratch = new byte[16 * 1024];
  private int inUse;

  /** A reset deflater at {@code level}, or null when {@link #MAX_IN_USE} are at work already. */
  Deflater take(int level) {
    if (inUse >= MAX_IN_USE) {
      return null;
    }
    Deflater d = free.pollLast();
    if (d == null) {
      d = new Deflater(level, true);
    } else {
      // A reload may have changed the level since it was made.
      d.setLevel(level);
    }
    inUse++;
    return d;
  }

  void give(Deflater d) {
    inUse--;
    d.reset();
    free.addLast(d);
  }

  /** Output space shared by the loop's streams: one deflates at a time on a loop. */
  byte[] scratch() {
    return scratch;
  }

  /** Deflaters taken and not given back: none once every encoded response has ended or been abandoned. */
  int inUse() {
    return inUse;
  }
}
