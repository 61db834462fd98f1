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
 * ran): that mean is what a new instance is expected to bring, so the model, which reads every
 * instance's points through its speed, is the mean instance's, and a pool of the fast ones left,
 * however long it runs, does not teach it that every instance is fast.
 */
final class InstanceSpeeds {
  /** After this long what an instance did weighs half as much in its speed. */
  private static final double HALF_LIFE_SECONDS = 30;
  /** Requests an instance must have finished before its speed counts; until then it is taken as the mean. */
  private static final double MIN_REQUESTS = 100;
  /** How far one interval's reading may put an instance from the mean: a wild one must not size the pool. */
  private static final double MIN_SPEED = 0.25;
  private static final double MAX_SPEED = 4;
  /** The mean brought is only taken from this many instances known or more: fewer say more about themselves than about the rest. */
  private static final int MIN_POPULATION = 4;
  /**
   * How fast the speeds are moved to keep their mean at 1: over about this long, so that the noise
   * of the few instances a start-up measured first does not shake the whole model at once.
   */
  private static final double ANCHOR_SECONDS = 30;
  /** An instance that started this many half-lives of the population before the newest, and stopped, no longer counts. */
  private static final double FORGOTTEN_HALF_LIVES = 6;

  /** What one instance was seen to do. */
  private static final class Speed {
    double requests;
    double weighted;
    final double firstSeen;
    double lastSeen;

    Speed(double firstSeen) {
      this.firstSeen = firstSeen;
    }

    double speed() {
      return weighted / requests;
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
        // Little's law for the instance against the model at the same concurrency.
        double ratio = model.latencyAt(i.concurrency()) * passing / i.concurrency();
        ratio = Math.max(MIN_SPEED, Math.min(MAX_SPEED, ratio));
        Speed s = speeds.computeIfAbsent(i.name(), n -> {
          newestStart = clock;
          return new Speed(clock);
        });
        s.requests = s.requests * keep + requests;
        s.weighted = s.weighted * keep + requests * ratio;
        s.lastSeen = clock;
      }
    }
    double weights = 0;
    double sum = 0;
    int known = 0;
    for (Iterator<Speed> it = speeds.values().iterator(); it.hasNext(); ) {
      Speed s = it.next();
      double age = (newestStart - s.firstSeen) / populationHalfLifeSeconds;
      if (age > FORGOTTEN_HALF_LIVES && s.lastSeen < clock) {
        it.remove();
      } else if (s.known()) {
        double w = Math.pow(0.5, age);
        weights += w;
        sum += w * s.speed();
        known++;
      }
    }
    if (known >= MIN_POPULATION) {
      // The model reads the points through these speeds, so it moves with them.
      double factor = Math.pow(sum / weights, Math.min(1, load.seconds() / ANCHOR_SECONDS));
      for (Speed s : speeds.values()) {
        s.weighted /= factor;
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
