package io.stc.session;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A lock-free count of events within the last window, kept in a fixed ring of time buckets that
 * are reused as time moves on: memory is constant and the window's edge is accurate to one bucket.
 */
final class SlidingCount {
  static final int BUCKETS = 16;
  private static final long COUNT_MASK = 0xFFFF_FFFFL;

  private final long width;
  // Each slot packs the low 32 bits of its bucket number (high half) and its count (low half), so
  // a bucket is reset and counted by one compare-and-set without a lock.
  private final AtomicLongArray slots = new AtomicLongArray(BUCKETS);

  SlidingCount(long windowNanos) {
    this.width = Math.max(1, windowNanos / BUCKETS);
  }

  void add(long nowNanos) {
    long bucket = Math.floorDiv(nowNanos, width);
    int slot = (int) Math.floorMod(bucket, BUCKETS);
    long tag = bucket & COUNT_MASK;
    while (true) {
      long current = slots.get(slot);
      long next;
      if ((current >>> 32) != tag) {
        next = (tag << 32) | 1;
      } else if ((current & COUNT_MASK) == COUNT_MASK) {
        return; // saturated
      } else {
        next = current + 1;
      }
      if (slots.compareAndSet(slot, current, next)) {
        return;
      }
    }
  }

  /** Events in the buckets that overlap the last window (between 15/16 of it and all of it). */
  long sum(long nowNanos) {
    long bucket = Math.floorDiv(nowNanos, width) & COUNT_MASK;
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      long s = slots.get(i);
      long age = (bucket - (s >>> 32)) & COUNT_MASK;
      if (age < BUCKETS) {
        total += s & COUNT_MASK;
      }
    }
    return total;
  }
}
