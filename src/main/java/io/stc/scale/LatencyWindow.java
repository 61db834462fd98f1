package io.stc.scale;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Request latencies recorded lock-free from the data plane, read as a percentile over the time since
 * the previous read.
 */
public final class LatencyWindow {
  private final Recorder recorder = new Recorder(2);
  private Histogram recycled;

  /** Records one request's latency; safe from any thread, never blocks. */
  public void record(long latencyNanos) {
    recorder.recordValue(Math.max(0, latencyNanos / 1_000));
  }

  /** The 99th percentile in milliseconds of what was recorded since the last call; 0 with nothing. Single reader. */
  double p99MillisSinceLastRead() {
    Histogram h = recorder.getIntervalHistogram(recycled);
    recycled = h;
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / 1000.0;
  }
}
