package io.stc.traffic;

import java.util.SortedMap;
import org.HdrHistogram.Histogram;

/**
 * The outcome of a load run.
 *
 * @param scheduled requests due by the schedule (open loop) or taken by the virtual clients (closed loop)
 * @param sent requests written to a connection
 * @param completed requests that got a complete response, whatever its status
 * @param dropped open loop: requests not sent because the client already held its maximum outstanding
 * @param unfinished requests in flight or waiting when the run stopped (interrupted, or the end plus the timeout)
 * @param connectErrors failed connection attempts
 * @param ioErrors connections closed or reset with a request in flight, or unparseable responses
 * @param timeouts requests without a complete response within the timeout
 * @param heldBack open loop: requests that waited in the client because all {@code connections}
 *     were open and busy (the client, not the target, queued them: raise the cap)
 * @param peakConnections the most connections open at once
 * @param connectionsOpened connections established over the run
 * @param statusCounts completed responses by status code
 * @param servedBy completed responses by value of the served-by header ({@code "(none)"} without it)
 * @param elapsedSeconds from the first scheduled send to the last completion or the stop
 * @param targetMeanRate open loop: the pattern's mean rate over the duration; NaN in a closed loop
 * @param latency response latency in microseconds, measured from the intended send time
 */
public record LoadResult(
    boolean closedLoop,
    long scheduled,
    long sent,
    long completed,
    long dropped,
    long unfinished,
    long connectErrors,
    long ioErrors,
    long timeouts,
    long heldBack,
    int peakConnections,
    long connectionsOpened,
    SortedMap<Integer, Long> statusCounts,
    SortedMap<String, Long> servedBy,
    double elapsedSeconds,
    double targetMeanRate,
    Histogram latency) {

  /** Completed responses per second of elapsed time. */
  public double achievedRate() {
    return elapsedSeconds > 0 ? completed / elapsedSeconds : 0;
  }

  /** Responses with a 5xx status. */
  public long serverErrors() {
    return statusCounts.entrySet().stream().filter(e -> e.getKey() >= 500).mapToLong(e -> e.getValue()).sum();
  }

  /** Connection errors, I/O errors, timeouts and 5xx responses. */
  public long errors() {
    return connectErrors + ioErrors + timeouts + serverErrors();
  }

  /** Latency at {@code percentile} (0-100) in milliseconds; 0 when nothing completed. */
  public double latencyMillis(double percentile) {
    return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1000.0;
  }

  /** Highest latency in milliseconds. */
  public double maxLatencyMillis() {
    return latency.getTotalCount() == 0 ? 0 : latency.getMaxValue() / 1000.0;
  }

  /** Mean latency in milliseconds. */
  public double meanLatencyMillis() {
    return latency.getTotalCount() == 0 ? 0 : latency.getMean() / 1000.0;
  }
}
