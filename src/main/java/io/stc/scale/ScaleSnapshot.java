package io.stc.scale;

/**
 * What a policy decides from: the state of the managed instances and the load on them, taken once
 * per interval.
 *
 * @param ready instances in rotation (UP)
 * @param pending instances started but not yet UP; they count as capacity so no more are started meanwhile
 * @param inFlight requests being served by the ready instances
 * @param queueDepth requests waiting in stc for an instance
 * @param rpsPerInstance requests finished per second per ready instance over the last interval
 * @param p99Millis 99th percentile latency over the last interval, 0 without requests
 */
public record ScaleSnapshot(int ready, int pending, int inFlight, int queueDepth, double rpsPerInstance, double p99Millis) {
  /** The instance count a decision compares against: ready plus pending. */
  public int current() {
    return ready + pending;
  }

  /** Requests that want an instance: in flight plus queued. */
  public int demand() {
    return inFlight + queueDepth;
  }
}
