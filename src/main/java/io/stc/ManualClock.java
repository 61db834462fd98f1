package io.stc;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that only moves when told to: for tests and virtual-time simulation. */
public final class ManualClock implements Clock {
  private final AtomicLong now = new AtomicLong();

  public ManualClock() {}

  public ManualClock(long startNanos) {
    now.set(startNanos);
  }

  @Override
  public long nanos() {
    return now.get();
  }

  public void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  public void advanceNanos(long nanos) {
    now.addAndGet(nanos);
  }

  public void set(long nanos) {
    now.set(nanos);
  }
}
