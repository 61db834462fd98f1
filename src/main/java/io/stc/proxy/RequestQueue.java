package io.stc.proxy;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded FIFO of requests waiting for a backend with room, shared by every event loop: a
 * freed slot or a new backend wakes the oldest waiter on its own loop.
 */
final class RequestQueue {
  private final ConcurrentLinkedDeque<QueuePlace> waiters = new ConcurrentLinkedDeque<>();
  private final AtomicInteger size = new AtomicInteger();
  /** Woken waiters that have not yet tried for a slot: slots they will take are spoken for. */
  private final AtomicInteger waking = new AtomicInteger();
  private final int max;

  RequestQueue(int max) {
    this.max = max;
  }

  /** Adds a waiter at the back; false when the queue is full. */
  boolean offer(QueuePlace c) {
    if (size.incrementAndGet() > max) {
      size.decrementAndGet();
      return false;
    }
    waiters.addLast(c);
    return true;
  }

  /** Puts back at the front a waiter that was woken but found no room after all. */
  void putBack(QueuePlace c) {
    size.incrementAndGet();
    waiters.addFirst(c);
  }

  /** Removes a waiter that gave up (timed out, client gone); false when it was already woken. */
  boolean remove(QueuePlace c) {
    if (waiters.remove(c)) {
      size.decrementAndGet();
      return true;
    }
    return false;
  }

  /** Wakes up to {@code n} of the oldest waiters, each on its own event loop. */
  void wake(int n) {
    for (int i = 0; i < n; i++) {
      QueuePlace c = waiters.pollFirst();
      if (c == null) {
        return;
      }
      size.decrementAndGet();
      waking.incrementAndGet();
      c.wake();
    }
  }

  /** A woken waiter has taken a slot, gone back in line, or given up. */
  void settled() {
    waking.decrementAndGet();
  }

  /**
   * Wakes the oldest waiters for slots that are free and not already promised to a waiter woken
   * earlier, so a later arrival's wake-up never lets the line be overtaken.
   */
  void wakeForFree(int freeSlots) {
    wake(Math.min(size.get(), freeSlots - waking.get()));
  }

  /**
   * Whether a request waits, or was woken and has not yet taken its slot or gone back in line: a new
   * arrival must then queue behind it instead of trying for a slot.
   */
  boolean hasWaiters() {
    return size.get() > 0 || waking.get() > 0;
  }

  int size() {
    return size.get();
  }
}
