package io.stc.scale;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Request latencies recorded lock-free from the data plane, read as a mean and percentile over the
 * time since the previous read.
 */
public final class LatencyWindow {
  /**
   * What was recorded between two reads.
   *
   * @param histogram the latencies in microseconds, a copy the reader may keep
   */
  record Reading(long count, double meanMillis, double p99Millis, Histogram histogram) {}

  private final Recorder recorder = new Recorder(2);
  private Histogram recycled;

  /** Records one request's latency; safe from any thread, never blocks. */
  public void record(long latencyNanos) {
    recorder.recordValue(Math.max(0, latencyNanos / 1_000));
  }

  /** What was recorded since the last call; zeros with nothing. Single reader. */
  Reading read() {
    Histogram h = recorder.getIntervalHistogram(recycled);
    recycled = h;
    long n = h.getTotalCount();
    return n == 0
        ? new Reading(0, 0, 0, null)
        : new Reading(n, h.getMean() / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.copy());
  }
}
