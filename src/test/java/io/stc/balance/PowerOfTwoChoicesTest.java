package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.pool.Backend;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PowerOfTwoChoicesTest {
  private static Balancer p2c(PoolFixture f) {
    Random seeded = new Random(1);
    return f.weighted(new PowerOfTwoChoices(() -> seeded));
  }

  @Test
  void smallPoolComparesAllOnLatencyTimesLoad() {
    PoolFixture f = PoolFixture.weights(1, 1, 1);
    f.finished("a", 10, false);
    f.finished("b", 30, false);
    f.finished("c", 100, false);
    Balancer p2c = p2c(f);
    assertThat(p2c.pick(Request.NONE, f.pool()).id()).isEqualTo("a");
    // a: 10 × (3+1) = 40 > b: 30 × 1
    f.inFlight("a", 3);
    assertThat(p2c.pick(Request.NONE, f.pool()).id()).isEqualTo("b");
  }

  @Test
  void largePoolAvoidsTheSlowAndBusy() {
    PoolFixture f = PoolFixture.numbered(10);
    for (Backend b : f.pool().available()) {
      f.finished(b.id(), 10, false);
    }
    f.finished("b0", 500, false);
    f.inFlight("b1", 100);
    Map<String, Integer> counts = f.counts(p2c(f), 10_000);
    // b0 wins only when drawn together with b1 (1 draw in 45); b1 never wins.
    assertThat(counts.getOrDefault("b0", 0)).isLessThan(400);
    assertThat(counts).doesNotContainKey("b1");
    assertThat(counts.get("b2")).isGreaterThan(1000);
  }

  @Test
  void peakEwmaReactsToASlowSampleAtOnce() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.finished("a", 10, false);
    f.finished("b", 20, false);
    Balancer p2c = p2c(f);
    assertThat(p2c.pick(Request.NONE, f.pool()).id()).isEqualTo("a");
    f.finished("a", 200, false);
    assertThat(p2c.pick(Request.NONE, f.pool()).id()).isEqualTo("b");
    // Idle for three decay periods, a's peak fades to 200 × e^-3 ≈ 10 ms, below b's fresh 20 ms.
    f.clock.advance(Duration.ofSeconds(30));
    f.finished("b", 20, false);
    assertThat(p2c.pick(Request.NONE, f.pool()).id()).isEqualTo("a");
  }

  @Test
  void failingBackendIsAvoided() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.finished("a", 50, false);
    f.finished("b", 20, false);
    f.finished("b", 1, true);
    assertThat(p2c(f).pick(Request.NONE, f.pool()).id()).isEqualTo("a");
  }

  @Test
  void unmeasuredBackendIsProbedOneRequestAtATime() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.finished("a", 50, false);
    Balancer p2c = p2c(f);
    assertThat(p2c.pick(Request.NONE, f.pool()).id()).isEqualTo("b");
    f.inFlight("b", 1);
    assertThat(p2c.pick(Request.NONE, f.pool()).id()).isEqualTo("a");
  }
}
