package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.ManualClock;
import io.stc.pool.BackendState;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AlgorithmTest {
  @Test
  void everyNameParses() {
    assertThat(Algorithm.validNames())
        .isEqualTo("round_robin, weighted_round_robin, least_connections, random, least_response_time,"
            + " power_of_two, consistent_hash, ip_hash, adaptive_weighted");
    for (Algorithm a : Algorithm.values()) {
      assertThat(Algorithm.parse(a.configName())).isEqualTo(a);
    }
    assertThat(Algorithm.parse(" Power-Of-Two ")).isEqualTo(Algorithm.POWER_OF_TWO);
    assertThatThrownBy(() -> Algorithm.parse("fastest"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown algorithm 'fastest'")
        .hasMessageContaining("ip_hash");
  }

  @Test
  void everyAlgorithmPicksOnlyAvailableAndNullWhenNone() {
    for (Algorithm a : Algorithm.values()) {
      PoolFixture f = PoolFixture.weights(2, 1, 3);
      f.state("b", BackendState.DOWN);
      Balancer balancer = a.newBalancer(f.clock);
      for (int i = 0; i < 50; i++) {
        String ip = "10.0.0." + i;
        assertThat(balancer.pick(PoolFixture.request(ip, null, null), f.pool()).id())
            .as(a.configName())
            .isIn("a", "c");
      }
      f.state("a", BackendState.DOWN);
      f.upstream.setWeight(f.get("c"), 0);
      assertThat(balancer.pick(PoolFixture.request("10.0.0.1", null, null), f.pool())).as(a.configName()).isNull();
    }
  }

  @Test
  void ipHashKeysByClientIpWhateverTheSettings() {
    PoolFixture f = PoolFixture.numbered(8);
    BalancerSettings byHeader = BalancerSettings.DEFAULTS.withHashKey(HashKey.header("X-User"));
    Balancer ipHash = Algorithm.IP_HASH.newBalancer(f.clock, byHeader);
    Balancer consistent = Algorithm.CONSISTENT_HASH.newBalancer(f.clock, byHeader);
    int differ = 0;
    for (int i = 0; i < 40; i++) {
      String ip = "10.0.1." + i;
      var sameIp = ipHash.pick(PoolFixture.request(ip, "u1", null), f.pool());
      assertThat(ipHash.pick(PoolFixture.request(ip, "u" + i, null), f.pool())).isSameAs(sameIp);
      var sameUser = consistent.pick(PoolFixture.request(ip, "user", null), f.pool());
      if (sameUser != ipHash.pick(PoolFixture.request("10.0.2." + i, "user", null), f.pool())) {
        differ++;
      }
    }
    assertThat(differ).isGreaterThan(0);
  }

  @Test
  void settingsAndHashKeysAreValidated() {
    assertThat(HashKey.parse("client_ip")).isEqualTo(HashKey.CLIENT_IP);
    assertThat(HashKey.parse("Header:X-User")).isEqualTo(HashKey.header("X-User"));
    assertThat(HashKey.parse("cookie: sid ")).isEqualTo(HashKey.cookie("sid"));
    assertThat(HashKey.parse("cookie:sid").toString()).isEqualTo("cookie:sid");
    assertThatThrownBy(() -> HashKey.parse("header:")).hasMessageContaining("expected client_ip, header:NAME");
    assertThatThrownBy(() -> HashKey.parse("path")).hasMessageContaining("invalid hash key 'path'");
    assertThatThrownBy(() -> BalancerSettings.DEFAULTS.withSlowStart(Duration.ofSeconds(-1)))
        .hasMessageContaining("slow_start");
    PoolFixture f = PoolFixture.weights(3, 2, 1);
    assertThat(f.picks(Algorithm.WEIGHTED_ROUND_ROBIN.newBalancer(new ManualClock(), BalancerSettings.DEFAULTS), 6))
        .containsExactly("a", "b", "a", "c", "b", "a");
  }
}
