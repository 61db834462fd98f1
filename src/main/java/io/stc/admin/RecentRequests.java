package io.stc.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The last {@code capacity} finished requests in a lock-free ring: writers claim a slot with one
 * atomic increment, so event loops never wait on each other or on readers.
 */
public final class RecentRequests {
  private final AtomicReferenceArray<RequestRecord> slots;
  private final AtomicLong next = new AtomicLong();

  public RecentRequests(int capacity) {
    this.slots = new AtomicReferenceArray<>(capacity);
  }

  public void add(RequestRecord r) {
    slots.lazySet((int) (next.getAndIncrement() % slots.length()), r);
  }

  /** Up to {@code limit} records, newest first. */
  public List<RequestRecord> latest(int limit) {
    int n = Math.min(limit, slots.length());
    long end = next.get();
    List<RequestRecord> out = new ArrayList<>(n);
    for (long i = end - 1; i >= 0 && i >= end - slots.length() && out.size() < n; i--) {
      RequestRecord r = slots.get((int) (i % slots.length()));
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  public void clear() {
    for (int i = 0; i < slots.length(); i++) {
      slots.set(i, null);
    }
  }
}
