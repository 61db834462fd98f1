package io.stc.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.pool.BackendState;
import org.junit.jupiter.api.Test;

class RoundRobinTest {
  @Test
  void eachAvailableInTurnIgnoringWeights() {
    PoolFixture f = PoolFixture.weights(5, 1, 1);
    RoundRobin rr = new RoundRobin();
    assertThat(f.picks(rr, 6)).containsExactly("a", "b", "c", "a", "b", "c");
    f.state("b", BackendState.DOWN);
    assertThat(f.picks(rr, 4)).doesNotContain("b").containsOnly("a", "c");
    f.state("a", BackendState.DOWN);
    f.state("c", BackendState.DOWN);
    assertThat(rr.pick(Request.NONE, f.pool())).isNull();
  }
}
