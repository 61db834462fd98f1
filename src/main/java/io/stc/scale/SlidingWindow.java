package io.stc.scale;

import java.util.ArrayDeque;
import java.util.Iterator;

/** Timestamped samples kept for {@code span}: averages and maxima over the most recent part of it. */
final class SlidingWindow {
  private record Sample(long nanos, double value) {}

  private final long spanNanos;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();

  SlidingWindow(long spanNanos) {
    this.spanNanos = spanNanos;
  }

  /** Adds a sample and forgets those older than the span. */
  void add(long nowNanos, double value) {
    samples.addLast(new Sample(nowNanos, value));
    while (!samples.isEmpty() && nowNanos - samples.peekFirst().nanos() >= spanNanos && samples.size() > 1) {
      samples.removeFirst();
    }
  }

  /** Average of the samples newer than {@code windowNanos} before now; 0 with none. */
  double average(long nowNanos, long windowNanos) {
    double sum = 0;
    int n = 0;
    for (Iterator<Sample> it = samples.descendingIterator(); it.hasNext(); ) {
      Sample s = it.next();
      if (nowNanos - s.nanos() >= windowNanos && n > 0) {
        break;
      }
      sum += s.value();
      n++;
    }
    return n == 0 ? 0 : sum / n;
  }

  /** Sum of the samples newer than {@code windowNanos} before now (the latest at least); 0 with none. */
  double sum(long nowNanos, long windowNanos) {
    double sum = 0;
    int n = 0;
    for (Iterator<Sample> it = samples.descendingIterator(); it.hasNext(); ) {
      Sample s = it.next();
      if (nowNanos - s.nanos() >= windowNanos && n > 0) {
        break;
      }
      sum += s.value();
      n++;
    }
    return sum;
  }

  /** Largest sample newer than {@code windowNanos} before now (the latest one at least); 0 with none. */
  double max(long nowNanos, long windowNanos) {
    double max = Double.NEGATIVE_INFINITY;
    int n = 0;
    for (Iterator<Sample> it = samples.descendingIterator(); it.hasNext(); ) {
      Sample s = it.next();
      if (nowNanos - s.nanos() >= windowNanos && n > 0) {
        break;
      }
      max = Math.max(max, s.value());
      n++;
    }
    return n == 0 ? 0 : max;
  }
}
