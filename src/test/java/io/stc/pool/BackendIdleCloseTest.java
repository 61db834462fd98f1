package io.stc.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.ManualClock;
import org.junit.jupiter.api.Test;

/** What a backend was seen to do with idle connections is learned when seen twice alike, and forgotten when it comes back from down. */
class BackendIdleCloseTest {
  @Test
  void closesAtOnceWhateverTheirWaitTeachNothing() {
    Backend b = new Upstream(new ManualClock(0)).add("b", "127.0.0.1", 3001, 1, BackendState.UP);
    long s = 1_000_000_000L;
    // A backend restarted: its idle connections close together, after 11.7 s, 6.7 s and 1.4 s.
    assertThat(b.idleCloseSeen(11_700_000_000L, 60 * s)).isFalse();
    assertThat(b.idleCloseSeen(6_700_000_000L, 60 * s + 1_000_000)).isFalse();
    assertThat(b.idleCloseSeen(1_400_000_000L, 60 * s + 2_000_000)).isFalse();
    // And again at the next reload, the waits unlike the last.
    assertThat(b.idleCloseSeen(4_200_000_000L, 120 * s)).isFalse();
    assertThat(b.idleCloseSeenNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void theShortestIdleCloseIsKeptUntilTheBackendComesBackFromDown() {
    ManualClock clock = new ManualClock(0);
    Upstream upstream = new Upstream(clock);
    Backend b = upstream.add("b", "127.0.0.1", 3001, 1, BackendState.UP);
    assertThat(b.idleCloseSeenNanos()).isEqualTo(Long.MAX_VALUE);

    long s = 1_000_000_000L;
    // Once is not enough: a restart or a graceful reload closes every idle connection at once.
    assertThat(b.idleCloseSeen(3 * s, 10 * s)).isFalse();
    assertThat(b.idleCloseSeenNanos()).isEqualTo(Long.MAX_VALUE);
    assertThat(b.idleCloseSeen(3 * s + s / 100, 20 * s)).as("a second close at a like wait, at another moment").isTrue();
    assertThat(b.idleCloseSeenNanos()).isEqualTo(3 * s);
    assertThat(b.idleCloseSeen(2 * s, 30 * s)).isFalse();
    assertThat(b.idleCloseSeen(2 * s, 31 * s)).isTrue();
    assertThat(b.idleCloseSeen(2_500_000_000L, 40 * s)).isFalse();
    assertThat(b.idleCloseSeen(2_500_000_000L, 41 * s)).as("only a shorter wait says more").isFalse();
    assertThat(b.idleCloseSeenNanos()).isEqualTo(2 * s);

    upstream.setState(b, BackendState.DRAINING, "test");
    upstream.setState(b, BackendState.UP, "test");
    assertThat(b.idleCloseSeenNanos()).as("draining is not a restart").isEqualTo(2_000_000_000L);

    upstream.setState(b, BackendState.DOWN, "test");
    assertThat(b.idleCloseSeenNanos()).isEqualTo(2_000_000_000L);
    upstream.setState(b, BackendState.UP, "test");
    assertThat(b.idleCloseSeenNanos()).as("back from down: learned again").isEqualTo(Long.MAX_VALUE);
  }
}
