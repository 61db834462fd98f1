package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stc.scale.ScaleSnapshot.InstanceLoad;
import io.stc.scale.ScaleSnapshot.Load;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each instance's speed beside the mean instance, and the service model read through the speeds,
 * as the slo policy feeds them: the mean instance takes {@code 50 ms x (1 + (c - 1) / 4)} at
 * concurrency c, an instance of speed f that divided by f.
 */
class InstanceSpeedsTest {
  private static final double HALF_LIFE = 300;

  private final InstanceSpeeds speeds = new InstanceSpeeds(HALF_LIFE);
  private final ServiceModel model = new ServiceModel(HALF_LIFE, speeds::of);

  private static double mean(double c) {
    return 0.05 * (1 + (c - 1) / 4);
  }

  /** One second of the named instances, each at concurrency {@code c} and finishing what its speed gives there. */
  private void second(Map<String, Double> pool, double c) {
    List<InstanceLoad> instances = new ArrayList<>();
    double served = 0;
    for (Map.Entry<String, Double> e : pool.entrySet()) {
      double throughput = c / (mean(c) / e.getValue());
      instances.add(new InstanceLoad(e.getKey(), c, throughput, 0));
      served += throughput;
    }
    Load load = new Load(1, served, served, c * pool.size(), 0, Math.round(served), 0, 5, instances, null);
    speeds.observe(load, model);
    model.observe(load);
  }

  @Test
  void eachInstanceIsReadAgainstTheMeanOfThoseStarted() {
    Map<String, Double> pool = Map.of("a", 1.5, "b", 1.5, "c", 0.5, "d", 0.5);
    for (int t = 0; t < 120; t++) {
      second(pool, t % 2 == 0 ? 2 : 4);
    }
    assertThat(speeds.of("a")).isCloseTo(1.5, within(0.05));
    assertThat(speeds.of("c")).isCloseTo(0.5, within(0.05));
    assertThat(speeds.of("never seen")).isEqualTo(1);
    assertThat(model.latencyAt(4)).isCloseTo(mean(4), within(0.003));
  }

  @Test
  void theFastInstancesLeftAfterAScaleDownDoNotMakeTheMeanFast() {
    // The slowest two are stopped; ten minutes of the fast two alone, at a higher concurrency. A
    // model of the pool as it ran would come to promise 1.5 times what a new instance brings.
    Map<String, Double> pool = Map.of("a", 1.5, "b", 1.5, "c", 0.5, "d", 0.5);
    for (int t = 0; t < 120; t++) {
      second(pool, t % 2 == 0 ? 2 : 4);
    }
    Map<String, Double> fast = Map.of("a", 1.5, "b", 1.5);
    for (int t = 0; t < 600; t++) {
      second(fast, t % 2 == 0 ? 5 : 6);
    }
    assertThat(speeds.of("a")).isCloseTo(1.5, within(0.05));
    assertThat(model.latencyAt(6)).isCloseTo(mean(6), within(0.004));
    assertThat(model.throughputAt(6) * (speeds.of("a") + speeds.of("b"))).as("what the two left serve at 6")
        .isCloseTo(2 * 1.5 * 6 / mean(6), within(4.0));
  }

  @Test
  void theFirstInstancesAreReadThroughTheSpeedsLearnedLater() {
    // A start-up: the two first instances, both fast, run at 9 in flight for ten seconds while a
    // queue waits. Their points, read as they are, would say the mean instance serves half as much
    // again at 9 as it does.
    for (int t = 0; t < 10; t++) {
      second(Map.of("a", 1.5, "b", 1.5), 9);
    }
    Map<String, Double> pool = new java.util.HashMap<>(Map.of("a", 1.5, "b", 1.5));
    for (int i = 0; i < 6; i++) {
      pool.put("n" + i, 5 / 6.0);
    }
    for (int t = 0; t < 120; t++) {
      second(pool, t % 2 == 0 ? 2 : 3);
    }
    assertThat(model.latencyAt(9)).isCloseTo(mean(9), within(0.01));
  }

  @Test
  void instancesAlikeStayAtTheMeanWhateverTheNoise() {
    // Two instances alike, each second's latency off by up to a third either way, as a busy
    // machine's are: speeds read against a model built from those same points must not drift away
    // together (a model read through speeds that all drift up says a new instance serves less).
    java.util.Random random = new java.util.Random(7);
    for (int t = 0; t < 60; t++) {
      double c = 1 + random.nextDouble();
      List<InstanceLoad> instances = new ArrayList<>();
      double served = 0;
      for (String name : List.of("a", "b")) {
        double throughput = c / (mean(c) * (1 + (random.nextDouble() * 2 - 1) / 3));
        instances.add(new InstanceLoad(name, c, throughput, 0));
        served += throughput;
      }
      Load load = new Load(1, served, served, 2 * c, 0, Math.round(served), 0, 5, instances, null);
      speeds.observe(load, model);
      model.observe(load);
    }
    assertThat(speeds.of("a")).isCloseTo(1, within(0.1));
    assertThat(speeds.of("b")).isCloseTo(1, within(0.1));
    assertThat(model.latencyAt(1.5)).isCloseTo(mean(1.5), within(0.1 * mean(1.5)));
  }
}
