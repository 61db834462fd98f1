package io.stc.traffic;

import java.util.Arrays;

/**
 * What a {@link Simulation} saw second by second; index {@code i} covers {@code [i, i+1)} seconds,
 * instance counts and queue depth are taken at its end.
 *
 * @param inFlight requests in flight at the instances, taken at its end
 * @param p99Millis p99 latency of the requests served in that second, NaN when none finished
 */
public record SimulationSeries(
    int[] arrivals, int[] served, int[] rejected, int[] ready, int[] pending, int[] draining, int[] queueDepth,
    int[] inFlight, double[] p99Millis) {

  static SimulationSeries ofLength(int seconds) {
    double[] p99 = new double[seconds];
    Arrays.fill(p99, Double.NaN);
    return new SimulationSeries(new int[seconds], new int[seconds], new int[seconds], new int[seconds],
        new int[seconds], new int[seconds], new int[seconds], new int[seconds], p99);
  }

  public int seconds() {
    return arrivals.length;
  }

  /** Instances that cost money at the end of second {@code i}: ready, starting and draining. */
  public int instances(int i) {
    return ready[i] + pending[i] + draining[i];
  }
}
