package io.stc.scale;

import io.stc.scale.ScaleSnapshot.InstanceLoad;
import io.stc.scale.ScaleSnapshot.Load;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * How fast each instance is beside the instances a start-up brings: the time its requests take
 * against what the service model gives at the concurrency it ran at, so that the pool is sized
 * by what its own instances serve.
 *
 * <p>Instances are not all alike (hosts differ, a JVM warms up), and a scale-down stops the
 * slowest: the instances left serve more than the mean instance, and a model of the mean would
 * learn that only over its half-life, taking them away one by one minutes after the load settled.
 * A speed of 1.2 is an instance that finishes a fifth more than the model's at the same
 * concurrency. The speeds are kept relative to the mean of the instances started lately (those
 * stopped included, each counted once, weighted by how recently it started, not by how long it
 * ran), from the first instance known on: that mean is what a new instance is expected to bring,
 * so the model, which reads every instance's points through its speed, is the mean instance's,
 * and a pool of the fast ones left, however long it runs, does not teach it that every instance
 * is fast.
 */
final class InstanceSpeeds {
  /** After this long what an instance did weighs half as much in its speed. */
  private static final double HALF_LIFE_SECONDS = 30;
  /** Requests an instance must have finished before its speed counts; until then it is taken as the mean. */
  private static final double MIN_REQUESTS = 100;
  /** How far an instance's speed may be from the mean: a wild reading must not size the pool. */
  private static final double MIN_SPEED = 0.25;
  private static final double MAX_SPEED = 4;
  /** An instance that started this many half-lives of the population before the newest, and stopped, no longer counts. */
  private static final double FORGOTTEN_HALF_LIVES = 6;

  /**
   * What one instance was seen to do: the time its requests took, and what the model gives for
   * them. Their ratio is its speed, a ratio of sums: a mean of each interval's ratio is biased
   * up by the noise of the intervals' latencies (the mean of {@code 1 / W} is more than {@code 1}
   * over the mean of {@code W}).
   */
  private static final class Speed {
    double requests;
    double expected;
    double took;
    final double firstSeen;
    double lastSeen;

    Speed(double firstSeen) {
      this.firstSeen = firstSeen;
    }

    double speed() {
      return Math.max(MIN_SPEED, Math.min(MAX_SPEED, expected / took));
    }

    boolean known() {
      return requests >= MIN_REQUESTS;
    }
  }

  private final double populationHalfLifeSeconds;
  private final Map<String, Speed> speeds = new HashMap<>();
  private double clock;
  private double newestStart;

  /** @param populationHalfLifeSeconds an instance started this long before the newest weighs half as much in the mean a new one brings */
  InstanceSpeeds(double populationHalfLifeSeconds) {
    this.populationHalfLifeSeconds = populationHalfLifeSeconds;
  }

  /**
   * Learns each named instance's speed from an interval, against the model as it is, and moves all
   * the speeds towards a mean of 1 over the instances started lately.
   */
  void observe(Load load, ServiceModel model) {
    if (load.seconds() <= 0) {
      return;
    }
    clock += load.seconds();
    if (model.known()) {
      double keep = Math.pow(0.5, load.seconds() / HALF_LIFE_SECONDS);
      for (InstanceLoad i : load.instances()) {
        double passing = i.passing(load.seconds());
        double requests = i.throughput() * load.seconds();
        if (i.name() == null || i.concurrency() <= 0 || passing <= 0 || requests <= 0) {
          continue;
        }
        Speed s = speeds.computeIfAbsent(i.name(), n -> {
          newestStart = clock;
          return new Speed(clock);
        });
        s.requests = s.requests * keep + requests;
        // Little's law for the instance against the model at the same concurrency.
        s.expected = s.expected * keep + requests * model.latencyAt(i.concurrency());
        s.took = s.took * keep + requests * i.concurrency() / passing;
        s.lastSeen = clock;
      }
    }
    double weights = 0;
    double sum = 0;
    for (Iterator<Speed> it = speeds.values().iterator(); it.hasNext(); ) {
      Speed s = it.next();
      double age = (newestStart - s.firstSeen) / populationHalfLifeSeconds;
      if (age > FORGOTTEN_HALF_LIVES && s.lastSeen < clock) {
        it.remove();
      } else if (s.known()) {
        double w = Math.pow(0.5, age);
        weights += w;
        sum += w * s.speed();
      }
    }
    if (weights > 0) {
      // Nothing measured says how fast all the instances are together: the model reads the points
      // through the speeds, so every speed k times higher and the model k times slower fit the
      // same data. Left free, that common factor drifts with the noise (two alike instances of a
      // busy machine went to 1.7 in half a minute, and a new instance was taken to bring 60% of
      // what it did); kept at the mean of the instances started lately, at every interval, it is
      // what a new one brings.
      double factor = sum / weights;
      for (Speed s : speeds.values()) {
        s.expected /= factor;
      }
    }
  }

  /** The speed of the named instance; 1, the mean, for one not yet known. */
  double of(String name) {
    Speed s = name == null ? null : speeds.get(name);
    return s != null && s.known() ? s.speed() : 1;
  }

  /**
   * The speeds of a pool of {@code current} instances, fastest first: those of the instances that
   * ran the whole interval, the mean for the others (ready only lately, or starting).
   */
  double[] pool(List<InstanceLoad> ran, int current) {
    double[] pool = new double[Math.max(current, ran.size())];
    Arrays.fill(pool, 1);
    for (int i = 0; i < ran.size(); i++) {
      pool[i] = of(ran.get(i).name());
    }
    Arrays.sort(pool);
    for (int i = 0, j = pool.length - 1; i < j; i++, j--) {
      double t = pool[i];
      pool[i] = pool[j];
      pool[j] = t;
    }
    return pool;
  }
}
