package io.stc.scale;

import io.stc.scale.ScaleSnapshot.InstanceLoad;
import io.stc.scale.ScaleSnapshot.Load;
import java.util.ArrayList;
import java.util.List;

/**
 * What one instance can serve, learned online from what the instances did: the mean time a
 * request takes at the concurrency an instance runs at, and so, by Little's law, the requests per
 * second it finishes there ({@code c / W(c)}).
 *
 * <p>Every interval gives one point for the pool: the mean concurrency an instance ran at and the
 * mean time a request took (points of single instances would mix up load and speed: a slow
 * instance runs at a higher concurrency because it is slow). Points are kept in bins of half a
 * request, weighted by the requests finished and weighing half as much after each half-life. The
 * curve through the bins never falls (a request never gets faster because more run beside it).
 * Below the lowest bin seen it is taken as flat, which can only overstate the instances needed;
 * above the highest it continues the slope through all of them, but no pool is sized for more than
 * one request (or a fifth) beyond the highest concurrency seen lately, so it is shrunk towards an
 * unexplored load step by step.
 *
 * <p>An instance's first {@link #WARM_UP_SECONDS} in rotation are learned apart, as a prior: a
 * bin of young instances counts only where instances past their warm-up have not given one. A
 * cold process's latencies would otherwise be averaged into the warm ones' bins for as long as
 * the half-life keeps them, and size the pool for the cold start. (Each group's point is its own
 * by Little's law: the pool's mean latency would mix them again.)
 */
final class ServiceModel {
  /** Width of a bin, in requests in flight per instance. */
  private static final double BIN = 0.5;
  /** Requests finished in a bin before it counts. */
  private static final double MIN_BIN_WEIGHT = 20;
  /**
   * How long an instance serves before what it does is learned as what instances do: a freshly
   * started process (a JVM compiling its code, caches filling) is slower at first, and a model
   * sized by its first seconds keeps a pool half as large again long after it warmed.
   */
  static final double WARM_UP_SECONDS = 10;

  private final double halfLifeSeconds;
  /** What instances past their warm-up did: the curve once it counts. */
  private final Bins warm;
  /** What instances did in their warm-up: the curve only until the warm one counts, so a start has something to size by. */
  private final Bins young;

  /**
   * @param maxConcurrency the most requests an instance may have in flight
   * @param halfLifeSeconds after this long an observation weighs half as much
   */
  ServiceModel(double maxConcurrency, double halfLifeSeconds) {
    int bins = (int) Math.ceil(maxConcurrency / BIN) + 1;
    this.halfLifeSeconds = halfLifeSeconds;
    this.warm = new Bins(bins);
    this.young = new Bins(bins);
  }

  /** Points in bins of concurrency, each weighted by the requests finished and fading with the half-life. */
  private static final class Bins {
    final double[] weight;
    final double[] concurrency;
    final double[] latency;
    double seenHigh;

    Bins(int n) {
      weight = new double[n];
      concurrency = new double[n];
      latency = new double[n];
    }

    void fade(double keep, double keepHigh) {
      for (int i = 0; i < weight.length; i++) {
        weight[i] *= keep;
        concurrency[i] *= keep;
        latency[i] *= keep;
      }
      // The highest concurrency seen fades towards what runs now, so it tracks a changed service.
      seenHigh *= keepHigh;
    }

    /**
     * Adds the point of the instances given: the mean concurrency one ran at and, by Little's law,
     * the mean time a request took (their concurrency over what they finished).
     */
    void add(double seconds, List<InstanceLoad> instances) {
      double c = 0;
      double throughput = 0;
      for (InstanceLoad i : instances) {
        c += i.concurrency();
        throughput += i.throughput();
      }
      double finished = throughput * seconds;
      if (instances.isEmpty() || finished < 1) {
        return;
      }
      double w = c / throughput;
      c /= instances.size();
      int bin = Math.min(weight.length - 1, (int) (c / BIN));
      weight[bin] += finished;
      concurrency[bin] += finished * c;
      latency[bin] += finished * w;
      seenHigh = Math.max(seenHigh, c);
    }

    boolean known() {
      for (double w : weight) {
        if (w >= MIN_BIN_WEIGHT) {
          return true;
        }
      }
      return false;
    }
  }

  /** Learns from an interval's load: instances past their warm-up into the curve, the others into the prior. */
  void observe(Load load) {
    if (load.seconds() <= 0) {
      return;
    }
    double keep = Math.pow(0.5, load.seconds() / halfLifeSeconds);
    double keepHigh = Math.pow(0.5, load.seconds() / (4 * halfLifeSeconds));
    warm.fade(keep, keepHigh);
    young.fade(keep, keepHigh);
    List<InstanceLoad> grown = new ArrayList<>(load.instances().size());
    List<InstanceLoad> fresh = new ArrayList<>(2);
    for (InstanceLoad i : load.instances()) {
      (i.ageSeconds() >= WARM_UP_SECONDS ? grown : fresh).add(i);
    }
    warm.add(load.seconds(), grown);
    young.add(load.seconds(), fresh);
  }

  /**
   * The bins the curve goes through: each the warm instances' where they count, else the young
   * ones', so a concurrency only young instances ran at still has a point, until warm ones run there.
   */
  private Bins bins() {
    Bins b = new Bins(warm.weight.length);
    for (int i = 0; i < b.weight.length; i++) {
      Bins from = warm.weight[i] >= MIN_BIN_WEIGHT ? warm : young;
      b.weight[i] = from.weight[i];
      b.concurrency[i] = from.concurrency[i];
      b.latency[i] = from.latency[i];
    }
    b.seenHigh = Math.max(warm.seenHigh, young.seenHigh);
    return b;
  }

  /** Whether enough has been seen to size a pool by. */
  boolean known() {
    return warm.known() || young.known();
  }

  /** Mean service time in seconds at concurrency {@code c}; 0 before anything was seen. */
  double latencyAt(double c) {
    return latencyAt(curve(), c);
  }

  private static double latencyAt(Curve curve, double c) {
    int n = curve.n;
    double[] xs = curve.xs;
    double[] ys = curve.ys;
    if (n == 0) {
      return 0;
    }
    if (c <= xs[0]) {
      return ys[0];
    }
    for (int i = 1; i < n; i++) {
      if (c <= xs[i]) {
        return ys[i - 1] + (ys[i] - ys[i - 1]) * (c - xs[i - 1]) / (xs[i] - xs[i - 1]);
      }
    }
    return ys[n - 1] + curve.slope() * (c - xs[n - 1]);
  }

  /**
   * The mean time a request alone on an instance takes, in seconds; 0 before anything was seen.
   * When no instance ran that lightly loaded lately, the curve is continued down to one request
   * by its slope, but never below what the lowest concurrency seen gives: one request at a time
   * cannot finish more a second than several at once.
   */
  double alone() {
    Curve curve = curve();
    if (curve.n == 0) {
      return 0;
    }
    double low = curve.xs[0];
    double w = curve.ys[0];
    return low <= 1 ? w : Math.max(w / low, w - curve.slope() * (low - 1));
  }

  /** The counted bins' mean concurrencies and latencies, the latencies made non-decreasing. */
  private record Curve(double[] xs, double[] ys, int n) {
    /** The slope over all the points, steadier than that of neighbours; 0 with one point. */
    double slope() {
      return n > 1 ? Math.max(0, (ys[n - 1] - ys[0]) / (xs[n - 1] - xs[0])) : 0;
    }
  }

  private Curve curve() {
    Bins bins = bins();
    double[] weight = bins.weight;
    double[] concurrency = bins.concurrency;
    double[] latency = bins.latency;
    // Pooling neighbours whose latencies fall as the concurrency rises.
    int n = 0;
    double[] xs = new double[weight.length];
    double[] ys = new double[weight.length];
    double[] ws = new double[weight.length];
    for (int i = 0; i < weight.length; i++) {
      if (weight[i] < MIN_BIN_WEIGHT) {
        continue;
      }
      xs[n] = concurrency[i] / weight[i];
      ys[n] = latency[i] / weight[i];
      ws[n] = weight[i];
      n++;
      while (n > 1 && ys[n - 2] > ys[n - 1]) {
        double w = ws[n - 2] + ws[n - 1];
        xs[n - 2] = (xs[n - 2] * ws[n - 2] + xs[n - 1] * ws[n - 1]) / w;
        ys[n - 2] = (ys[n - 2] * ws[n - 2] + ys[n - 1] * ws[n - 1]) / w;
        ws[n - 2] = w;
        n--;
      }
    }
    return new Curve(xs, ys, n);
  }

  /**
   * Requests per second one instance finishes at concurrency {@code c}, or at any lower one seen if
   * that is more: one allowed {@code c} in flight serves at least what it did with fewer. (Points
   * left from another mix of instances, such as a start-up's slower ones before the slowest were
   * let go, can put the throughput at a higher concurrency below that at a lower one.)
   */
  double throughputAt(double c) {
    Curve curve = curve();
    double w = latencyAt(curve, c);
    double best = w > 0 ? c / w : 0;
    for (int i = 0; i < curve.n && curve.xs[i] < c; i++) {
      best = Math.max(best, curve.xs[i] / curve.ys[i]);
    }
    return best;
  }

  /** The highest concurrency an instance may be sized for: not far beyond the highest seen lately. */
  double explorationLimit() {
    double seenHigh = Math.max(warm.seenHigh, young.seenHigh);
    return Math.max(seenHigh + 1, seenHigh * 1.2);
  }
}
