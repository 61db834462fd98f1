package io.stc.proxy;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The FIFO of requests waiting for a backend with room, shared by every event loop: a freed slot
 * or a new backend wakes the oldest waiter on its own loop. It is bounded by the memory its
 * waiters hold (and by a count only when one is configured); how long a request may wait is the
 * waiter's business (the queue timeout). {@code stc simulate} runs this same queue.
 */
public final class RequestQueue {
  /** A request in the queue. */
  public interface Waiter {
    /**
     * Its turn has come: called on any thread, it continues on its own, tries for a slot, and
     * then calls {@link #settled()}, after taking the slot, going {@linkplain #putBack back} or giving up.
     */
    void wake();

    /** The memory it holds while it waits, in bytes; the same on every call. */
    long bytes();
  }

  private final ConcurrentLinkedDeque<Waiter> waiters = new ConcurrentLinkedDeque<>();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicLong bytes = new AtomicLong();
  /** Woken waiters that have not yet tried for a slot: slots they will take are spoken for. */
  private final AtomicInteger waking = new AtomicInteger();
  private final int maxCount;
  private final long maxBytes;

  /**
   * @param maxCount most waiters, 0 for no count bound
   * @param maxBytes most memory the waiters may hold together
   */
  public RequestQueue(int maxCount, long maxBytes) {
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
  }

  /** Adds a waiter at the back; false when it would take the queue over its memory (or count) bound. */
  public boolean offer(Waiter c) {
    int n = size.incrementAndGet();
    if (maxCount > 0 && n > maxCount) {
      size.decrementAndGet();
      return false;
    }
    long b = c.bytes();
    if (bytes.addAndGet(b) > maxBytes) {
      bytes.addAndGet(-b);
      size.decrementAndGet();
      return false;
    }
    waiters.addLast(c);
    return true;
  }

  /** Puts back at the front a waiter that was woken but found no room after all. */
  public void putBack(Waiter c) {
    size.incrementAndGet();
    bytes.addAndGet(c.bytes());
    waiters.addFirst(c);
  }

  /** Removes a waiter that gave up (timed out, client gone); false when it was already woken. */
  public boolean remove(Waiter c) {
    if (waiters.remove(c)) {
      size.decrementAndGet();
      bytes.addAndGet(-c.bytes());
      return true;
    }
    return false;
  }

  /** Wakes up to {@code n} of the oldest waiters, each on its own loop. */
  public void wake(int n) {
    for (int i = 0; i < n; i++) {
      Waiter c = waiters.pollFirst();
      if (c == null) {
        return;
      }
      size.decrementAndGet();
      bytes.addAndGet(-c.bytes());
      waking.incrementAndGet();
      c.wake();
    }
  }

  /** A woken waiter has taken a slot, gone back in line, or given up. */
  public void settled() {
    waking.decrementAndGet();
  }

  /**
   * Wakes the oldest waiters for slots that are free and not already promised to a waiter woken
   * earlier, so a later arrival's wake-up never lets the line be overtaken.
   */
  public void wakeForFree(int freeSlots) {
    wake(Math.min(size.get(), freeSlots - waking.get()));
  }

  /**
   * Whether a request waits, or was woken and has not yet taken its slot or gone back in line: a new
   * arrival must then queue behind it instead of trying for a slot.
   */
  public boolean hasWaiters() {
    return size.get() > 0 || waking.get() > 0;
  }

  public int size() {
    return size.get();
  }

  /** The memory the waiters hold, in bytes. */
  public long bytes() {
    return bytes.get();
  }
}
