package io.stc.traffic;

import java.util.Arrays;
import java.util.Random;

/**
 * A quiet base with sudden bursts at random times: {@code r(t) = 3 * rate} inside a burst, else
 * {@code rate / 5}.
 *
 * <p>For a duration {@code D} there are {@code k = max(1, round(D / 20 s))} bursts. The run is cut
 * into {@code k} equal slots of {@code S = D/k}; burst {@code i} lasts {@code L_i ~ U[2 s, 5 s]}
 * (capped at {@code S/2}) and starts at {@code i*S + u_i * (S - L_i)} with {@code u_i ~ U[0, 1)},
 * all drawn from {@code java.util.Random(seed)}. Bursts therefore never overlap, and the mean over
 * {@code [0, D)} is {@code rate/5 + (3*rate - rate/5) * sum(L_i) / D}.
 */
public final class Burst implements RatePattern {
  static final double BASE_FACTOR = 1.0 / 5;
  static final double PEAK_FACTOR = 3;
  static final double SLOT_SECONDS = 20;
  static final double MIN_LENGTH = 2;
  static final double MAX_LENGTH = 5;

  private final double base;
  private final double peak;
  private final double[] starts;
  private final double[] ends;

  public Burst(double rate, double durationSeconds, long seed) {
    PatternArguments.positive("rate", rate);
    double duration = PatternArguments.positive("duration", durationSeconds);
    this.base = rate * BASE_FACTOR;
    this.peak = rate * PEAK_FACTOR;
    int count = (int) Math.max(1, Math.round(duration / SLOT_SECONDS));
    double slot = duration / count;
    Random random = new Random(seed);
    starts = new double[count];
    ends = new double[count];
    for (int i = 0; i < count; i++) {
      double length = Math.min(slot / 2, MIN_LENGTH + random.nextDouble() * (MAX_LENGTH - MIN_LENGTH));
      starts[i] = i * slot + random.nextDouble() * (slot - length);
      ends[i] = starts[i] + length;
    }
  }

  @Override
  public double rate(double seconds) {
    // Bursts are sorted and disjoint: only the last one starting at or before t can contain it.
    // A search rather than a scan, since a simulator asks for every millisecond of long runs.
    int i = Arrays.binarySearch(starts, seconds);
    int last = i >= 0 ? i : -i - 2;
    return last >= 0 && seconds < ends[last] ? peak : base;
  }

  /** Number of bursts in the run. */
  public int bursts() {
    return starts.length;
  }

  /** Start of burst {@code i}, in seconds from the start of the run. */
  public double burstStart(int i) {
    return starts[i];
  }

  /** End (exclusive) of burst {@code i}, in seconds from the start of the run. */
  public double burstEnd(int i) {
    return ends[i];
  }
}
