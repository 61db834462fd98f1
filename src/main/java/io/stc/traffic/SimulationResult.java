package io.stc.traffic;

import io.stc.scale.ScaleEvent;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one {@link Simulation} run.
 *
 * @param arrived requests that arrived during the run
 * @param served requests answered by an instance
 * @param queueFull rejected because the proxy's queue was full
 * @param queueTimeout rejected after waiting the queue timeout
 * @param cut in flight on an instance stopped when its drain timeout passed
 * @param failedOver requests on an instance that crashed, tried again on another
 * @param crashed instances that crashed
 * @param waited served requests that waited in the queue first
 * @param queueWaitNanos total queue wait of the served requests
 * @param latency served requests' latency in microseconds, from arrival (queue wait included)
 * @param instanceSeconds what the instances cost: each from its start until it stopped or the run ended
 * @param oracleInstanceSeconds the least instance-seconds that could have carried the trace
 * @param events what the autoscaler did; {@code timeMillis} is virtual time since the start
 */
public record SimulationResult(
    SimulationOptions options,
    long arrived,
    long served,
    long queueFull,
    long queueTimeout,
    long cut,
    long failedOver,
    long crashed,
    long waited,
    long queueWaitNanos,
    Histogram latency,
    double instanceSeconds,
    double oracleInstanceSeconds,
    List<ScaleEvent> events,
    SimulationSeries series) {

  public SimulationResult {
    events = List.copyOf(events);
  }

  public long rejected() {
    return queueFull + queueTimeout;
  }

  /** Served over arrived; 1 without arrivals. */
  public double successRate() {
    return arrived == 0 ? 1 : (double) served / arrived;
  }

  /** Latency percentile of the served requests in milliseconds; 0 without any. */
  public double latencyMillis(double percentile) {
    return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1000.0;
  }

  /** Mean latency of the served requests in milliseconds; 0 without any. */
  public double meanLatencyMillis() {
    return latency.getTotalCount() == 0 ? 0 : latency.getMean() / 1000.0;
  }

  /** Fraction of served requests that waited in the queue. */
  public double waitProbability() {
    return served == 0 ? 0 : (double) waited / served;
  }

  /** Mean queue wait over all served requests (those that did not wait count as 0), in seconds. */
  public double meanWaitSeconds() {
    return served == 0 ? 0 : queueWaitNanos / 1e9 / served;
  }

  /** Instance-seconds used over the oracle's bound: 1 is perfect sizing. */
  public double costRatio() {
    return oracleInstanceSeconds == 0 ? 0 : instanceSeconds / oracleInstanceSeconds;
  }

  public long scaleUps() {
    return events.stream().filter(e -> e.kind() == ScaleEvent.Kind.SCALED_UP).count();
  }

  public long scaleDowns() {
    return events.stream().filter(e -> e.kind() == ScaleEvent.Kind.SCALED_DOWN).count();
  }

  /**
   * How often the pool turned from growing to shrinking or back: changes of direction of the
   * instances counted (ready plus starting), second by second.
   */
  public int directionChanges() {
    int changes = 0;
    int direction = 0;
    for (int i = 1; i < series.seconds(); i++) {
      int d = Integer.signum(series.ready()[i] + series.pending()[i] - series.ready()[i - 1] - series.pending()[i - 1]);
      if (d != 0) {
        if (direction != 0 && d != direction) {
          changes++;
        }
        direction = d;
      }
    }
    return changes;
  }

  /** Virtual seconds of the last scale-up or scale-down; 0 without any. */
  public double lastScaleSeconds() {
    double last = 0;
    for (ScaleEvent e : events) {
      if (e.kind() == ScaleEvent.Kind.SCALED_UP || e.kind() == ScaleEvent.Kind.SCALED_DOWN) {
        last = Math.max(last, e.timeMillis() / 1000.0);
      }
    }
    return last;
  }

  /** Most instances running (ready, starting or draining) at the end of any second. */
  public int peakInstances() {
    int peak = 0;
    for (int i = 0; i < series.seconds(); i++) {
      peak = Math.max(peak, series.instances(i));
    }
    return peak;
  }
}
