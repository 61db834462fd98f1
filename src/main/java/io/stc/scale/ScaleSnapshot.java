package io.stc.scale;

import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * What a policy decides from: the state of the managed instances and the load on them, taken once
 * per interval. Counts are as they are at the decision; rates, averages and latencies cover the
 * interval since the previous one.
 *
 * @param ready instances in rotation (UP)
 * @param pending instances started but not yet UP; they count as capacity so no more are started meanwhile
 * @param inFlight requests being served by the ready instances now
 * @param queueDepth requests waiting in stc for an instance now
 * @param rpsPerInstance requests finished per second per ready instance
 * @param p99Millis 99th percentile latency of the requests that ended (queue wait included), 0 without any
 * @param load the rates and averages of the interval
 */
public record ScaleSnapshot(
    int ready, int pending, int inFlight, int queueDepth, double rpsPerInstance, double p99Millis, Load load) {

  /**
   * The interval's load.
   *
   * @param seconds how long the interval was; 0 for the first decision, which has no interval
   * @param arrivalRate requests per second that wanted an instance: every arrival, those queued and
   *     those turned away included
   * @param completionRate requests per second that instances finished
   * @param concurrency requests in flight at the ready instances, averaged over the interval's time
   * @param meanLatencyMillis mean latency of the requests that ended (queue wait included)
   * @param requests requests that ended
   * @param queueWaitMillis mean queue wait of the requests that left the queue for an instance
   * @param startupSeconds how long an instance takes from the decision to start it until it is in
   *     rotation, as measured lately, and at least as long as the oldest start-up still under way;
   *     0 before any was measured
   * @param instances each instance that was ready for the whole interval: the concurrency it ran at
   *     and what it finished
   * @param latencies the latencies of the requests that ended, in microseconds; null without any
   */
  public record Load(
      double seconds, double arrivalRate, double completionRate, double concurrency, double meanLatencyMillis,
      long requests, double queueWaitMillis, double startupSeconds, List<InstanceLoad> instances,
      Histogram latencies) {
    /** No interval measured. */
    public static final Load NONE = new Load(0, 0, 0, 0, 0, 0, 0, 0, List.of(), null);

    public Load {
      instances = List.copyOf(instances);
    }

    /** Requests that ended slower than {@code millis}. */
    public long slowerThan(double millis) {
      if (latencies == null) {
        return 0;
      }
      long micros = (long) (millis * 1000);
      return latencies.getTotalCount() - latencies.getCountBetweenValues(0, micros);
    }
  }

  /**
   * What one instance did over an interval.
   *
   * @param name the instance's name, which stays its own while it runs; null when not known
   * @param concurrency requests it had in flight, averaged over the interval's time
   * @param throughput requests per second it finished
   * @param inFlightChange requests in flight at the interval's end less those at its start
   */
  public record InstanceLoad(String name, double concurrency, double throughput, double inFlightChange) {
    /** An instance not named, as loaded at the end of the interval as at its start. */
    public InstanceLoad(double concurrency, double throughput) {
      this(null, concurrency, throughput, 0);
    }

    /** An instance not named. */
    public InstanceLoad(double concurrency, double throughput, double inFlightChange) {
      this(null, concurrency, throughput, inFlightChange);
    }

    /**
     * Requests per second through it over {@code seconds}: the mean of those that started and those
     * that finished. Little's law holds for what finished only when as many are in flight at the end
     * as at the start; an instance filling from idle (a start, a step) finishes a latency's worth of
     * requests fewer than it takes on, and read that way would seem slower than it is.
     */
    public double passing(double seconds) {
      return throughput + inFlightChange / 2 / seconds;
    }

    /** Its mean service time in seconds, by Little's law; NaN when it finished nothing. */
    public double latencySeconds() {
      return throughput > 0 ? concurrency / throughput : Double.NaN;
    }
  }

  /** Counts and point samples only, for tests of the policies that need nothing else. */
  public ScaleSnapshot(int ready, int pending, int inFlight, int queueDepth, double rpsPerInstance, double p99Millis) {
    this(ready, pending, inFlight, queueDepth, rpsPerInstance, p99Millis, Load.NONE);
  }

  /**
   * Requests per second per ready instance that wanted one: the arrival rate when it was
   * measured (a queue or rejections then do not hide demand), else what the instances finished.
   */
  public double demandRatePerInstance() {
    return load.seconds() > 0 ? load.arrivalRate() / Math.max(1, ready) : rpsPerInstance;
  }

  /** The instance count a decision compares against: ready plus pending. */
  public int current() {
    return ready + pending;
  }

  /**
   * Requests that want an instance: in flight, averaged over the interval when it was measured
   * (a point sample otherwise), plus queued.
   */
  public double demand() {
    return (load.seconds() > 0 ? load.concurrency() : inFlight) + queueDepth;
  }
}
