package io.stc;

import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * A clock that moves only from one scheduled task to the next: the event queue of a
 * discrete-event simulation. Tasks due at the same time run in the order they were scheduled, so
 * a run is the same every time. Single-threaded.
 *
 * <p>The queue is a binary heap over plain arrays (due time, then scheduling order): a simulation
 * puts millions of tasks through it.
 */
public final class VirtualTime implements Clock {
  private long[] due = new long[256];
  private long[] order = new long[256];
  private Runnable[] tasks = new Runnable[256];
  private int size;
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
    if (size == due.length) {
      due = Arrays.copyOf(due, size * 2);
      order = Arrays.copyOf(order, size * 2);
      tasks = Arrays.copyOf(tasks, size * 2);
    }
    long at = Math.max(now, atNanos);
    long seq = sequence++;
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!before(at, seq, due[parent], order[parent])) {
        break;
      }
      move(parent, i);
      i = parent;
    }
    due[i] = at;
    order[i] = seq;
    tasks[i] = task;
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
    while (size > 0 && due[0] <= untilNanos) {
      runFirst();
    }
    now = Math.max(now, untilNanos);
  }

  /** Runs tasks one after another for as long as {@code more} holds before each and one is left. */
  public void runWhile(BooleanSupplier more) {
    while (size > 0 && more.getAsBoolean()) {
      runFirst();
    }
  }

  /** Tasks scheduled and not yet run. */
  public int pending() {
    return size;
  }

  private void runFirst() {
    Runnable task = tasks[0];
    now = due[0];
    int last = --size;
    long lastDue = due[last];
    long lastOrder = order[last];
    Runnable lastTask = tasks[last];
    tasks[last] = null;
    int i = 0;
    int half = last >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      int right = child + 1;
      if (right < last && before(due[right], order[right], due[child], order[child])) {
        child = right;
      }
      if (!before(due[child], order[child], lastDue, lastOrder)) {
        break;
      }
      move(child, i);
      i = child;
    }
    if (last > 0) {
      due[i] = lastDue;
      order[i] = lastOrder;
      tasks[i] = lastTask;
    }
    task.run();
  }

  private void move(int from, int to) {
    due[to] = due[from];
    order[to] = order[from];
    tasks[to] = tasks[from];
  }

  private static boolean before(long at, long seq, long otherAt, long otherSeq) {
    return at < otherAt || (at == otherAt && seq < otherSeq);
  }
}
