package io.stc;

/** A monotonic time source in nanoseconds, injected so tests and the simulator can move time by hand. */
@FunctionalInterface
public interface Clock {
  /** The real monotonic clock. */
  Clock SYSTEM = System::nanoTime;

  long nanos();

  default long millis() {
    return nanos() / 1_000_000L;
  }
}
