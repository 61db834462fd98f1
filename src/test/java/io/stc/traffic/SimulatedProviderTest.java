package io.stc.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.VirtualTime;
import io.stc.scale.Instance;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SimulatedProviderTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  @Test
  void instancesStartingTogetherBeyondTheParallelOnesTakeLongerInProportion() {
    VirtualTime time = new VirtualTime(-SECOND);
    SimulatedProvider p = new SimulatedProvider(time, SECOND, 2, 3, 3, new SplittableRandom(1), new SplittableRandom(2), 0);
    // Before the traffic starts (the first min): never slowed, ready at 0.
    List<CompletableFuture<Instance>> first = List.of(p.start("a"), p.start("b"), p.start("c"));
    time.runUntil(0);
    assertThat(first).allSatisfy(f -> assertThat(f).isCompleted());

    List<CompletableFuture<Instance>> later = new ArrayList<>();
    List<Long> readyAt = new ArrayList<>();
    for (String name : List.of("d", "e", "f", "g")) {
      CompletableFuture<Instance> f = p.start(name);
      f.thenRun(() -> readyAt.add(time.nanos()));
      later.add(f);
    }
    time.runUntil(10 * SECOND);
    // d and e at full speed; f is the third starting (1.5x), g the fourth (2x).
    assertThat(readyAt).containsExactly(SECOND, SECOND, SECOND * 3 / 2, 2 * SECOND);

    // Once they are up, one alone is at full speed again.
    long asked = time.nanos();
    CompletableFuture<Instance> h = p.start("h");
    time.runUntil(asked + SECOND);
    assertThat(h).isCompleted();
  }

  @Test
  void withoutAParallelLimitEveryStartUpTakesTheDelay() {
    VirtualTime time = new VirtualTime(0);
    SimulatedProvider p = new SimulatedProvider(time, SECOND, 0, 3, 3, new SplittableRandom(1), new SplittableRandom(2), 0);
    List<CompletableFuture<Instance>> all = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      all.add(p.start("i" + i));
    }
    time.runUntil(SECOND);
    assertThat(all).allSatisfy(f -> assertThat(f).isCompleted());
  }
}
