package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.pool.LatencyEstimate;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeastResponseTimeTest {
  @Test
  void picksTheFastest() {
    PoolFixture f = PoolFixture.weights(1, 1, 1);
    f.finished("a", 50, false);
    f.finished("b", 10, false);
    f.finished("c", 30, false);
    assertThat(f.picks(new LeastResponseTime(f.clock), 5)).containsOnly("b");
  }

  @Test
  void backendsWithoutSamplesAreTriedFirstInTurn() {
    PoolFixture f = PoolFixture.weights(1, 1, 1);
    f.finished("a", 5, false);
    assertThat(f.picks(new LeastResponseTime(f.clock), 6)).doesNotContain("a").contains("b", "c");
  }

  @Test
  void fastFailuresDoNotLookFast() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.finished("a", 40, false);
    f.finished("b", 30, false);
    f.finished("b", 1, true);
    f.finished("b", 1, true);
    assertThat(f.picks(new LeastResponseTime(f.clock), 3)).containsOnly("a");
  }

  @Test
  void tiesRotate() {
    PoolFixture f = PoolFixture.weights(1, 1, 1);
    for (String id : new String[] {"a", "b", "c"}) {
      f.finished(id, 20, false);
    }
    assertThat(f.picks(new LeastResponseTime(f.clock), 6)).containsExactly("a", "b", "c", "a", "b", "c");
  }

  @Test
  void anUnmeasuredBackendGetsOneTrialAtATime() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.finished("a", 50, false);
    LeastResponseTime lrt = new LeastResponseTime(f.clock);
    assertThat(lrt.pick(Request.NONE, f.pool()).id()).isEqualTo("b");
    f.inFlight("b", 1);
    assertThat(f.picks(lrt, 3)).containsOnly("a");
  }

  @Test
  void aBackendThatWasSlowIsTriedAgainOnceItsEstimateIsStale() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.finished("a", 500, false);
    f.finished("b", 10, false);
    LeastResponseTime lrt = new LeastResponseTime(f.clock);
    f.clock.advance(Duration.ofSeconds(5));
    f.finished("b", 10, false);
    assertThat(f.picks(lrt, 3)).containsOnly("b");
    // a got no traffic: once its sample is older than STALE_NANOS it gets one trial request.
    f.clock.advance(Duration.ofNanos(LatencyEstimate.STALE_NANOS - Duration.ofSeconds(5).toNanos() + 1));
    f.finished("b", 10, false);
    assertThat(lrt.pick(Request.NONE, f.pool()).id()).isEqualTo("a");
    f.inFlight("a", 1);
    assertThat(f.picks(lrt, 3)).as("only one trial at a time").containsOnly("b");
    // The trial shows a has recovered: its estimate restarts from the new sample.
    f.finished("a", 5, false);
    assertThat(f.picks(lrt, 3)).containsOnly("a");
  }

  @Test
  void aLargePoolIsSampledButStillAvoidsTheSlow() {
    PoolFixture f = PoolFixture.numbered(1000);
    for (int i = 0; i < 1000; i++) {
      f.finished("b" + i, i % 10 == 0 ? 500 : 10 + i % 7, false);
    }
    Map<String, Integer> counts = f.counts(new LeastResponseTime(f.clock), 20_000);
    assertThat(counts.keySet()).noneMatch(id -> Integer.parseInt(id.substring(1)) % 10 == 0);
    assertThat(counts.keySet()).allMatch(id -> Integer.parseInt(id.substring(1)) % 7 == 0);
    assertThat(counts).hasSizeGreaterThan(100);
  }
}
