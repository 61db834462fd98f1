package io.stc.scale;

import io.stc.scale.ScaleSnapshot.InstanceLoad;
import io.stc.scale.ScaleSnapshot.Load;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * What the mean instance can serve, learned online from what the instances did: the mean time a
 * request takes at the concurrency an instance runs at, and so, by Little's law, the requests per
 * second it finishes there ({@code c / W(c)}).
 *
 * <p>Every interval gives one point per instance: the concurrency it ran at and the mean time a
 * request took there. Points are kept per instance in bins of the arrivals a second per
 * instance of the pool (see {@link #BIN_RATIO}), weighted by the
 * requests finished and weighing half as much after each half-life, and read through each
 * instance's speed ({@link InstanceSpeeds}): a fast instance's latencies count as the mean
 * instance's would be. (Read as they are, points of single instances would mix up load and speed,
 * a slow instance running at a higher concurrency because it is slow; and the few instances of a
 * start-up, at a concurrency no other ran at, would say what those instances do, not the mean.) A
 * bin counts once it holds 20 requests, however small its share of all the weight: binned by
 * arrivals, the points of a load run at long ago are often the only ones at a concurrency, and
 * dropped they left the curve to be continued there from the load run at now. The curve through
 * the bins (each bin's mean concurrency and latency)
 * never falls (a request never gets faster because more run beside it).
 * Below the lowest bin seen it is taken as flat, which can only overstate the instances needed;
 * above the highest it continues the slope through all of them, but no pool is sized for more than
 * one request (or a fifth) beyond the highest concurrency seen lately, so it is shrunk towards an
 * unexplored load step by step.
 */
final class ServiceModel {
  /**
   * Bins are by the arrivals a second per instance of the pool, each this many times the one below
   * (from {@link #LOWEST_RATE}), not by the concurrency an instance ran at, which moves with the
   * time its requests took: at a steady rate an interval whose requests were slower has more of
   * them in flight (Little's law), so points binned by their concurrency lie on the line of that
   * rate's throughput whatever the service does (two instances of a busy machine at 20 req/s each
   * gave 41 ms at 0.84 in flight and 89 ms at 1.72, which says an instance serves 20 a second at
   * any concurrency; it serves 47 at 7), and an oversized pool looks sized right. The arrivals do
   * not move with how fast the instances were, so each bin's mean concurrency and latency are a
   * point of the service's own curve.
   */
  private static final double BIN_RATIO = 1.1;
  private static final double LOWEST_RATE = 0.01;
  private static final int BINS = 250;
  /**
   * Bins whose mean concurrencies are this share apart or less are one point of the curve: their
   * latencies are the same concurrency's, and a segment between them would make a slope of their
   * noise. Instances held at {@code max_inflight} give points at exactly that concurrency in
   * every bin of arrivals they ran at; two such points (a start-up's first two instances, at 150
   * ms, and the pool's later ones, at 161 ms) stood as a segment a hair wide, and the curve read
   * at {@code max_inflight} gave the lower one: the pool was thought to serve 7% more than it did,
   * went down two instances, and asked them back three seconds later.
   */
  private static final double SAME_CONCURRENCY = 0.01;
  /** Requests finished in a bin before it counts. */
  private static final double MIN_BIN_WEIGHT = 20;
  /** An instance whose points weigh less than this in all is forgotten. */
  private static final double FORGOTTEN_WEIGHT = 0.01;
  /** The key of instances without a name. */
  private static final String UNNAMED = "";

  private final double halfLifeSeconds;
  private final ToDoubleFunction<String> speed;
  /** Per instance, per bin: the requests finished, times their concurrency, times their latency. */
  private final Map<String, double[]> points = new HashMap<>();
  private double seenHigh;
  private Curve curve = new Curve(new double[0], new double[0], 0);
  /** The curve of the instances as they ran, not read through their speeds. */
  private Curve asRan = curve;
  private double[] weight;

  /**
   * Every instance taken as the mean one.
   *
   * @param halfLifeSeconds after this long an observation weighs half as much
   */
  ServiceModel(double halfLifeSeconds) {
    this(halfLifeSeconds, name -> 1);
  }

  /**
   * @param speed how much more than the mean instance the named one finishes at the same
   *     concurrency; read anew at every observation
   */
  ServiceModel(double halfLifeSeconds, ToDoubleFunction<String> speed) {
    this.halfLifeSeconds = halfLifeSeconds;
    this.speed = speed;
    this.weight = new double[BINS];
  }

  /** Learns from an interval's load, and reads the curve anew through the instances' speeds as they are now. */
  void observe(Load load) {
    if (load.seconds() <= 0) {
      return;
    }
    double keep = Math.pow(0.5, load.seconds() / halfLifeSeconds);
    for (Iterator<double[]> it = points.values().iterator(); it.hasNext(); ) {
      double[] p = it.next();
      double total = 0;
      for (int i = 0; i < p.length; i++) {
        p[i] *= keep;
        total += i % 3 == 0 ? p[i] : 0;
      }
      if (total < FORGOTTEN_WEIGHT) {
        it.remove();
      }
    }
    // The highest concurrency seen fades towards what runs now, so it tracks a changed service.
    seenHigh *= Math.pow(0.5, load.seconds() / (4 * halfLifeSeconds));
    // The arrivals each instance had, the same for all: an instance's own share moves with its
    // latency too (a balancer sends fewer requests to one with more in flight).
    double arrivals = load.instances().isEmpty() ? 0 : load.arrivalRate() / load.instances().size();
    double sum = 0;
    int count = 0;
    for (InstanceLoad i : load.instances()) {
      sum += i.concurrency();
      count++;
      double n = i.throughput() * load.seconds();
      double passing = i.passing(load.seconds());
      if (n <= 0 || passing <= 0 || i.concurrency() <= 0) {
        continue;
      }
      // Little's law, from the sampled concurrency and the requests passing through (the mean
      // latency of the requests that ended would count the time they took in earlier intervals,
      // at other loads).
      double c = i.concurrency();
      double w = c / passing;
      int bin = bin(arrivals > 0 ? arrivals : i.throughput());
      double[] p = points.computeIfAbsent(i.name() == null ? UNNAMED : i.name(), k -> new double[3 * BINS]);
      p[3 * bin] += n;
      p[3 * bin + 1] += n * c;
      p[3 * bin + 2] += n * w;
    }
    if (count > 0) {
      seenHigh = Math.max(seenHigh, sum / count);
    }
    read();
  }

  /** The bin of an arrival rate per instance. */
  private static int bin(double rate) {
    return (int) Math.max(0, Math.min(BINS - 1, Math.log(rate / LOWEST_RATE) / Math.log(BIN_RATIO)));
  }

  /** Whether enough has been seen to size a pool by. */
  boolean known() {
    for (double w : weight) {
      if (w >= MIN_BIN_WEIGHT) {
        return true;
      }
    }
    return false;
  }

  /** Mean service time in seconds at concurrency {@code c}; 0 before anything was seen. */
  double latencyAt(double c) {
    return latencyAt(curve, c);
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
   * Read from the instances as they ran, not through their speeds: a speed is measured where the
   * instances run, and instances that differ in how well they share (not in how fast they serve
   * one request) differ less there. When no instance ran that lightly loaded lately, the curve is
   * continued down to one request by its slope, but never below what the lowest concurrency seen
   * gives: one request at a time cannot finish more a second than several at once.
   */
  double alone() {
    Curve c = asRan;
    if (c.n == 0) {
      return 0;
    }
    double low = c.xs[0];
    double w = c.ys[0];
    return low <= 1 ? w : Math.max(w / low, w - c.slope() * (low - 1));
  }

  /**
   * Whether {@link #alone} rests on what was seen: instances that ran at about one request, or a
   * curve at least as wide as the way down to one request, whose slope carries it there. Continued
   * further (a steady load runs at one concurrency for hours), the slope's noise is multiplied by
   * the distance, and an objective derived from it would wander with it.
   */
  boolean aloneMeasured() {
    Curve c = asRan;
    if (c.n == 0) {
      return false;
    }
    double low = c.xs[0];
    return low <= 1.5 || c.xs[c.n - 1] - low >= low - 1;
  }

  /** How far below the lowest concurrency seen {@link #alone} is continued: 0 when instances ran at one request or less. */
  double aloneReach() {
    Curve c = asRan;
    return c.n == 0 ? Double.MAX_VALUE : Math.max(0, c.xs[0] - 1);
  }

  /** The counted bins' mean concurrencies and latencies, the latencies made non-decreasing. */
  private record Curve(double[] xs, double[] ys, int n) {
    /** The slope over all the points, steadier than that of neighbours; 0 with one point. */
    double slope() {
      return n > 1 ? Math.max(0, (ys[n - 1] - ys[0]) / (xs[n - 1] - xs[0])) : 0;
    }
  }

  /**
   * Sums the instances' points per bin and fits both curves: each point read through its
   * instance's speed now ({@link #curve}), and as it ran ({@link #asRan}).
   */
  private void read() {
    double[] weight = new double[BINS];
    double[] concurrency = new double[BINS];
    double[] latency = new double[BINS];
    double[] latencyAsRan = new double[BINS];
    for (Map.Entry<String, double[]> e : points.entrySet()) {
      double f = speed.applyAsDouble(e.getKey());
      double[] p = e.getValue();
      for (int i = 0; i < BINS; i++) {
        weight[i] += p[3 * i];
        concurrency[i] += p[3 * i + 1];
        // A fast instance's latency, times its speed, is what the mean instance's would be.
        latency[i] += f * p[3 * i + 2];
        latencyAsRan[i] += p[3 * i + 2];
      }
    }
    this.weight = weight;
    curve = fit(weight, concurrency, latency);
    asRan = fit(weight, concurrency, latencyAsRan);
  }

  /** The counted bins' mean concurrencies and latencies, neighbours pooled so the latencies never fall. */
  private static Curve fit(double[] weight, double[] concurrency, double[] latency) {
    // Pooling neighbours whose latencies fall as the concurrency rises, and those at the same
    // concurrency (see SAME_CONCURRENCY).
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
      // (Bins go by arrivals: with a queue, a higher rate may have run at a lower concurrency.)
      while (n > 1 && (ys[n - 2] > ys[n - 1] || xs[n - 2] >= xs[n - 1] * (1 - SAME_CONCURRENCY))) {
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
    double w = latencyAt(curve, c);
    double best = w > 0 ? c / w : 0;
    for (int i = 0; i < curve.n && curve.xs[i] < c; i++) {
      best = Math.max(best, curve.xs[i] / curve.ys[i]);
    }
    return best;
  }

  /** The highest concurrency an instance may be sized for: not far beyond the highest seen lately. */
  double explorationLimit() {
    return Math.max(seenHigh + 1, seenHigh * 1.2);
  }
}
