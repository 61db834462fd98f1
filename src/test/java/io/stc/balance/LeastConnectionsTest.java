package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeastConnectionsTest {
  private static Balancer lc(PoolFixture f) {
    return f.weighted(new LeastConnections());
  }

  @Test
  void sequentialTrafficRotatesOverTies() {
    PoolFixture f = PoolFixture.weights(1, 1, 1);
    assertThat(f.picks(lc(f), 6)).containsExactly("a", "b", "c", "a", "b", "c");
  }

  @Test
  void picksFewestInFlight() {
    PoolFixture f = PoolFixture.weights(1, 1, 1);
    f.inFlight("a", 3);
    f.inFlight("b", 1);
    f.inFlight("c", 2);
    assertThat(f.picks(lc(f), 5)).containsOnly("b");
  }

  @Test
  void inFlightIsMeasuredAgainstWeight() {
    PoolFixture f = PoolFixture.weights(3, 1);
    f.inFlight("a", 2);
    f.inFlight("b", 1);
    // 2/3 < 1/1
    assertThat(lc(f).pick(Request.NONE, f.pool()).id()).isEqualTo("a");
  }

  @Test
  void concurrentRequestsSpreadByWeight() {
    PoolFixture f = PoolFixture.weights(2, 1);
    Balancer lc = lc(f);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      Backend b = lc.pick(Request.NONE, f.pool());
      b.stats().requestStarted();
      counts.merge(b.id(), 1, Integer::sum);
    }
    assertThat(counts).containsEntry("a", 20).containsEntry("b", 10);
  }

  @Test
  void onlyAvailableBackends() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.inFlight("b", 5);
    f.state("a", BackendState.DOWN);
    assertThat(lc(f).pick(Request.NONE, f.pool()).id()).isEqualTo("b");
    f.upstream.setWeight(f.get("b"), 0);
    assertThat(lc(f).pick(Request.NONE, f.pool())).isNull();
  }

  @Test
  void rampingBackendCountsAsLighter() {
    PoolFixture f = PoolFixture.weights(1);
    f.clock.advance(Duration.ofMinutes(1));
    f.add(1);
    Balancer lc = f.slowStart(new LeastConnections(), Duration.ofSeconds(10));
    f.inFlight("a", 4);
    f.inFlight("b", 1);
    // b is at 0.1 of its weight: 1/0.1 = 10 > 4/1
    assertThat(lc.pick(Request.NONE, f.pool()).id()).isEqualTo("a");
    f.clock.advance(Duration.ofSeconds(10));
    assertThat(lc.pick(Request.NONE, f.pool()).id()).isEqualTo("b");
  }

  @Test
  void aLargePoolIsSampledButLoadStillEvensOut() {
    PoolFixture f = PoolFixture.numbered(1000);
    Balancer lc = lc(f);
    // One backend in ten is stuck with 50 requests: a sample of 16 almost never lacks an idle one.
    for (int i = 0; i < 1000; i += 10) {
      f.inFlight("b" + i, 50);
    }
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 2700; i++) {
      Backend b = lc.pick(Request.NONE, f.pool());
      b.stats().requestStarted();
      counts.merge(b.id(), 1, Integer::sum);
    }
    assertThat(counts.keySet()).noneMatch(id -> Integer.parseInt(id.substring(1)) % 10 == 0);
    // 2,700 requests over 900 free backends: 3 each when perfectly even.
    assertThat(counts.values()).allMatch(c -> c <= 4);
  }
}
