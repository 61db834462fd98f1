package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WeightedRoundRobinTest {
  private static Balancer wrr(PoolFixture f) {
    return f.weighted(new WeightedRoundRobin());
  }

  @Test
  void weights321InterleaveExactlyLikeNginx() {
    PoolFixture f = PoolFixture.weights(3, 2, 1);
    assertThat(f.picks(wrr(f), 12))
        .containsExactly("a", "b", "a", "c", "b", "a", "a", "b", "a", "c", "b", "a");
  }

  @Test
  void heavyBackendIsSpreadNotBlocked() {
    PoolFixture f = PoolFixture.weights(5, 1, 1);
    assertThat(f.picks(wrr(f), 7)).containsExactly("a", "a", "b", "a", "c", "a", "a");
  }

  @Test
  void equalWeightsAreRoundRobin() {
    PoolFixture f = PoolFixture.weights(4, 4, 4);
    assertThat(f.picks(wrr(f), 6)).containsExactly("a", "b", "c", "a", "b", "c");
  }

  @Test
  void sameOrderAsNginxForRandomWeights() {
    Random rnd = new Random(7);
    for (int round = 0; round < 200; round++) {
      int n = 2 + rnd.nextInt(7);
      long[] w = new long[n];
      Backend[] backends = new Backend[n];
      for (int i = 0; i < n; i++) {
        w[i] = 1 + rnd.nextInt(9);
        backends[i] = new Backend("b" + i, "127.0.0.1", 1000 + i, (int) w[i], BackendState.UP);
      }
      assertThat(WeightedSequence.build(backends, w)).as("weights %s", java.util.Arrays.toString(w))
          .containsExactly(nginx(backends, w));
    }
  }

  // nginx's ngx_http_upstream_get_peer, step by step: the reference the fast builder must match.
  private static Backend[] nginx(Backend[] backends, long[] w) {
    long total = 0;
    for (long x : w) {
      total += x;
    }
    long g = 0;
    for (long x : w) {
      g = java.math.BigInteger.valueOf(g).gcd(java.math.BigInteger.valueOf(x)).longValue();
    }
    long cycle = total / g;
    long[] current = new long[w.length];
    Backend[] out = new Backend[(int) cycle];
    for (int k = 0; k < cycle; k++) {
      int best = -1;
      for (int i = 0; i < w.length; i++) {
        current[i] += w[i];
        if (best < 0 || current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      out[k] = backends[best];
    }
    return out;
  }

  @Test
  void largeWeightTotalsAreCappedButKeepProportions() {
    PoolFixture f = PoolFixture.weights(60_000, 30_000, 10_001);
    Backend[] up = f.pool().available();
    Backend[] order = WeightedSequence.build(up, new long[] {60_000, 30_000, 10_001});
    assertThat(order.length).isLessThanOrEqualTo(WeightedSequence.MAX_LENGTH + up.length);
    long a = java.util.Arrays.stream(order).filter(b -> b.id().equals("a")).count();
    long c = java.util.Arrays.stream(order).filter(b -> b.id().equals("c")).count();
    assertThat((double) a / c).isBetween(5.9, 6.1);
  }

  @Test
  void followsWeightAndStateChanges() {
    PoolFixture f = PoolFixture.weights(1, 1);
    Balancer wrr = wrr(f);
    assertThat(f.picks(wrr, 4)).containsExactly("a", "b", "a", "b");
    f.upstream.setWeight(f.get("a"), 2);
    assertThat(f.counts(wrr, 30)).containsEntry("a", 20).containsEntry("b", 10);
    f.state("a", BackendState.DOWN);
    assertThat(f.picks(wrr, 3)).containsOnly("b");
    f.state("b", BackendState.DRAINING);
    assertThat(wrr.pick(Request.NONE, f.pool())).isNull();
  }

  @Test
  void newBackendRampsInUnderSlowStart() {
    PoolFixture f = PoolFixture.weights(1, 1);
    Balancer wrr = f.slowStart(new WeightedRoundRobin(), Duration.ofSeconds(10));
    f.clock.advance(Duration.ofSeconds(60));
    f.add(1);
    // Right after coming UP the new backend gets the floor share: 2 of 2+20+20.
    Map<String, Integer> early = f.counts(wrr, 420);
    assertThat(early.get("c")).isEqualTo(20);
    f.clock.advance(Duration.ofSeconds(5));
    Map<String, Integer> half = f.counts(wrr, 500);
    assertThat(half.get("c")).isEqualTo(100);
    f.clock.advance(Duration.ofSeconds(5));
    assertThat(f.counts(wrr, 300)).containsEntry("c", 100);
  }

  @Test
  void everyPickIsAvailable() {
    PoolFixture f = PoolFixture.weights(3, 1, 2, 5);
    f.state("b", BackendState.DOWN);
    List<String> picks = new ArrayList<>(f.picks(wrr(f), 100));
    assertThat(picks).doesNotContain("b").contains("a", "c", "d");
  }
}
