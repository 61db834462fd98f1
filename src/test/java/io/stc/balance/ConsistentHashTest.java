package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConsistentHashTest {
  private static final int KEYS = 20_000;

  private static Map<String, String> owners(PoolFixture f, Balancer balancer) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < KEYS; i++) {
      String ip = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
      m.put(ip, balancer.pick(PoolFixture.request(ip, null, null), f.pool()).id());
    }
    return m;
  }

  private static int moved(Map<String, String> before, Map<String, String> after) {
    int moved = 0;
    for (Map.Entry<String, String> e : before.entrySet()) {
      if (!e.getValue().equals(after.get(e.getKey()))) {
        moved++;
      }
    }
    return moved;
  }

  @Test
  void sameKeySameBackendAndKeysSpreadEvenly() {
    PoolFixture f = PoolFixture.numbered(10);
    ConsistentHash ch = new ConsistentHash(HashKey.CLIENT_IP);
    Map<String, String> first = owners(f, ch);
    assertThat(owners(f, ch)).isEqualTo(first);
    Map<String, Integer> perBackend = new HashMap<>();
    first.values().forEach(id -> perBackend.merge(id, 1, Integer::sum));
    assertThat(perBackend).hasSize(10);
    assertThat(perBackend.values()).allSatisfy(c -> assertThat(c).isBetween(KEYS / 10 * 8 / 10, KEYS / 10 * 12 / 10));
  }

  @Test
  void addingOrRemovingOneOfTenMovesFewKeys() {
    PoolFixture f = PoolFixture.numbered(10);
    ConsistentHash ch = new ConsistentHash(HashKey.CLIENT_IP);
    Map<String, String> before = owners(f, ch);

    f.upstream.add("b10", "127.0.0.1", 10_010, 1, BackendState.UP);
    Map<String, String> added = owners(f, ch);
    assertThat(moved(before, added)).isGreaterThan(0).isLessThanOrEqualTo((int) (1.5 * KEYS / 11));

    f.upstream.remove("b3");
    Map<String, String> removed = owners(f, ch);
    assertThat(moved(added, removed)).isLessThanOrEqualTo((int) (1.5 * KEYS / 11));
    assertThat(removed.values()).doesNotContain("b3");
  }

  @Test
  void downBackendsKeysGoElsewhereAndNoOtherKeyMoves() {
    PoolFixture f = PoolFixture.numbered(10);
    ConsistentHash ch = new ConsistentHash(HashKey.CLIENT_IP);
    Map<String, String> before = owners(f, ch);
    f.state("b4", BackendState.DOWN);
    Map<String, String> after = owners(f, ch);
    Set<String> heirs = new HashSet<>();
    for (String key : before.keySet()) {
      if (before.get(key).equals("b4")) {
        heirs.add(after.get(key));
      } else {
        assertThat(after.get(key)).as(key).isEqualTo(before.get(key));
      }
    }
    assertThat(heirs).doesNotContain("b4").hasSizeGreaterThan(5);
    f.state("b4", BackendState.UP);
    assertThat(owners(f, ch)).isEqualTo(before);
  }

  @Test
  void addingABackendThatStartsDownMovesAlmostNothing() {
    PoolFixture f = PoolFixture.numbered(10);
    ConsistentHash ch = new ConsistentHash(HashKey.CLIENT_IP);
    Map<String, String> before = owners(f, ch);
    f.upstream.add("b10", "127.0.0.1", 10_010, 1, BackendState.DOWN);
    assertThat(moved(before, owners(f, ch))).isLessThan(KEYS / 100);
  }

  @Test
  void headerAndCookieKeys() {
    PoolFixture f = PoolFixture.numbered(5);
    ConsistentHash byHeader = new ConsistentHash(HashKey.header("X-User"));
    ConsistentHash byCookie = new ConsistentHash(HashKey.cookie("sid"));
    for (int i = 0; i < 50; i++) {
      String user = "user" + i;
      Backend first = byHeader.pick(PoolFixture.request("10.0.0." + i, user, null), f.pool());
      // A different client IP with the same user: same backend.
      assertThat(byHeader.pick(PoolFixture.request("10.9.9." + i, user, null), f.pool())).isSameAs(first);
      Backend c = byCookie.pick(PoolFixture.request("10.0.0." + i, null, user), f.pool());
      assertThat(byCookie.pick(PoolFixture.request("10.1.1." + i, "x", user), f.pool())).isSameAs(c);
    }
  }

  @Test
  void requestsWithoutTheKeyGoRoundRobin() {
    PoolFixture f = PoolFixture.numbered(3);
    ConsistentHash ch = new ConsistentHash(HashKey.header("X-User"));
    assertThat(f.picks(ch, PoolFixture.request("10.0.0.1", null, null), 6))
        .containsExactly("b0", "b1", "b2", "b0", "b1", "b2");
  }

  @Test
  void emptyPoolGivesNull() {
    PoolFixture f = PoolFixture.numbered(2);
    f.state("b0", BackendState.DOWN);
    f.state("b1", BackendState.DOWN);
    assertThat(new ConsistentHash(HashKey.CLIENT_IP).pick(PoolFixture.request("10.0.0.1", null, null), f.pool()))
        .isNull();
  }

  @Test
  void maglevTableSharesAreNearEqual() {
    int[] table = MaglevTable.build(java.util.List.of("a", "b", "c", "d", "e", "f", "g"), MaglevTable.SIZE);
    int[] counts = new int[7];
    for (int owner : table) {
      counts[owner]++;
    }
    for (int c : counts) {
      assertThat(c).isBetween(MaglevTable.SIZE / 7 - 50, MaglevTable.SIZE / 7 + 50);
    }
  }
}
