package io.stc.scale;

import java.util.function.IntSupplier;

/**
 * What the data plane tells the autoscaler about requests that have not reached an instance: those
 * waiting in its queue, those that waited, and those it turned away for want of one. Counts are
 * totals since start, so the autoscaler takes differences; implementations must be thread-safe.
 */
public interface QueueGauge {
  /** No queue: every request goes straight to an instance. */
  QueueGauge NONE = of(() -> 0);

  /** Requests waiting for an instance with room now. */
  int depth();

  /** Requests answered without reaching an instance for want of one: queue full, queue timeout, none in rotation. */
  long turnedAway();

  /** Requests that waited in the queue and then got an instance. */
  long dequeued();

  /** The total time those requests waited, in nanoseconds. */
  long waitNanos();

  /** A gauge that knows only the depth of the queue. */
  static QueueGauge of(IntSupplier depth) {
    return new QueueGauge() {
      @Override
      public int depth() {
        return depth.getAsInt();
      }

      @Override
      public long turnedAway() {
        return 0;
      }

      @Override
      public long dequeued() {
        return 0;
      }

      @Override
      public long waitNanos() {
        return 0;
      }
    };
  }
}
