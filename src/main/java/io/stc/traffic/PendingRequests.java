package io.stc.traffic;

/**
 * A bounded FIFO of intended send times (nanoTime values) of requests waiting for a free
 * connection; a plain ring of longs, so queueing costs no allocation.
 */
final class PendingRequests {
  private final long[] ring;
  private int head;
  private int size;

  PendingRequests(int capacity) {
    ring = new long[Math.max(0, capacity)];
  }

  /** Adds a request; false when full. */
  boolean offer(long intendedNanos) {
    if (size == ring.length) {
      return false;
    }
    ring[(head + size) % ring.length] = intendedNanos;
    size++;
    return true;
  }

  /** Removes and returns the oldest; only call when not empty. */
  long poll() {
    long v = ring[head];
    head = (head + 1) % ring.length;
    size--;
    return v;
  }

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  void clear() {
    head = 0;
    size = 0;
  }
}
