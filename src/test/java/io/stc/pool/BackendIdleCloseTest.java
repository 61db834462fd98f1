package io.stc.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.ManualClock;
import org.junit.jupiter.api.Test;

/** What a backend was seen to do with idle connections is learned once and forgotten when it comes back from down. */
class BackendIdleCloseTest {
  @Test
  void theShortestIdleCloseIsKeptUntilTheBackendComesBackFromDown() {
    ManualClock clock = new ManualClock(0);
    Upstream upstream = new Upstream(clock);
    Backend b = upstream.add("b", "127.0.0.1", 3001, 1, BackendState.UP);
    assertThat(b.idleCloseSeenNanos()).isEqualTo(Long.MAX_VALUE);

    assertThat(b.idleCloseSeen(3_000_000_000L)).isTrue();
    assertThat(b.idleCloseSeen(2_000_000_000L)).isTrue();
    assertThat(b.idleCloseSeen(2_500_000_000L)).as("only a shorter wait says more").isFalse();
    assertThat(b.idleCloseSeenNanos()).isEqualTo(2_000_000_000L);

    upstream.setState(b, BackendState.DRAINING, "test");
    upstream.setState(b, BackendState.UP, "test");
    assertThat(b.idleCloseSeenNanos()).as("draining is not a restart").isEqualTo(2_000_000_000L);

    upstream.setState(b, BackendState.DOWN, "test");
    assertThat(b.idleCloseSeenNanos()).isEqualTo(2_000_000_000L);
    upstream.setState(b, BackendState.UP, "test");
    assertThat(b.idleCloseSeenNanos()).as("back from down: learned again").isEqualTo(Long.MAX_VALUE);
  }
}
