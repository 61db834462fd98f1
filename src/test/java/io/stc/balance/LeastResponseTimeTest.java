package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LeastResponseTimeTest {
  @Test
  void picksTheFastest() {
    PoolFixture f = PoolFixture.weights(1, 1, 1);
    f.finished("a", 50, false);
    f.finished("b", 10, false);
    f.finished("c", 30, false);
    assertThat(f.picks(new LeastResponseTime(), 5)).containsOnly("b");
  }

  @Test
  void backendsWithoutSamplesAreTriedFirstInTurn() {
    PoolFixture f = PoolFixture.weights(1, 1, 1);
    f.finished("a", 5, false);
    assertThat(f.picks(new LeastResponseTime(), 6)).doesNotContain("a").contains("b", "c");
  }

  @Test
  void fastFailuresDoNotLookFast() {
    PoolFixture f = PoolFixture.weights(1, 1);
    f.finished("a", 40, false);
    f.finished("b", 30, false);
    f.finished("b", 1, true);
    f.finished("b", 1, true);
    assertThat(f.picks(new LeastResponseTime(), 3)).containsOnly("a");
  }

  @Test
  void tiesRotate() {
    PoolFixture f = PoolFixture.weights(1, 1, 1);
    for (String id : new String[] {"a", "b", "c"}) {
      f.finished(id, 20, false);
    }
    assertThat(f.picks(new LeastResponseTime(), 6)).containsExactly("a", "b", "c", "a", "b", "c");
  }
}
