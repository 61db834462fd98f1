package io.stc;

import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/**
 * A clock that moves only from one scheduled task to the next: the event queue of a
 * discrete-event simulation. Tasks due at the same time run in the order they were scheduled, so
 * a run is the same every time. Single-threaded.
 */
public final class VirtualTime implements Clock {
  private record Task(long at, long sequence, Runnable run) {}

  private final PriorityQueue<Task> tasks = new PriorityQueue<>(
      (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.sequence, b.sequence));
  private long now;
  private long sequence;

  /** Starting at time 0. */
  public VirtualTime() {
    this(0);
  }

  /** Starting at {@code startNanos}, which may be negative: a simulation's set-up may come before its time 0. */
  public VirtualTime(long startNanos) {
    this.now = startNanos;
  }

  @Override
  public long nanos() {
    return now;
  }

  /** Runs {@code task} at {@code atNanos}, or now if that has passed. */
  public void at(long atNanos, Runnable task) {
    tasks.add(new Task(Math.max(now, atNanos), sequence++, task));
  }

  /** Runs {@code task} {@code delayNanos} from now. */
  public void after(long delayNanos, Runnable task) {
    at(now + delayNanos, task);
  }

  /** Runs {@code task} after everything already due now. */
  public void soon(Runnable task) {
    at(now, task);
  }

  /** Runs the tasks due up to and including {@code untilNanos}, then sets the clock there. */
  public void runUntil(long untilNanos) {
    Task t;
    while ((t = tasks.peek()) != null && t.at <= untilNanos) {
      tasks.poll();
      now = t.at;
      t.run.run();
    }
    now = Math.max(now, untilNanos);
  }

  /** Runs tasks one after another for as long as {@code more} holds before each and one is left. */
  public void runWhile(BooleanSupplier more) {
    Task t;
    while (more.getAsBoolean() && (t = tasks.poll()) != null) {
      now = t.at;
      t.run.run();
    }
  }

  /** Tasks scheduled and not yet run. */
  public int pending() {
    return tasks.size();
  }
}
