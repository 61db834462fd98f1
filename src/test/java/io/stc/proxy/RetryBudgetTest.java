package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.StcConfig;
import org.junit.jupiter.api.Test;

/** The retry budget: a share of the last ten seconds' requests, a floor beside it, seconds that age out. */
class RetryBudgetTest {
  private static final long SECOND = 1_000_000_000L;

  /** Retries made from {@code start}, one request after another, as long as the budget allows. */
  private static int retriesAllowed(RetryBudget b, long now, int requests) {
    int made = 0;
    for (int i = 0; i < requests; i++) {
      b.requestStarted(now);
      if (b.allows(now)) {
        b.spent(now);
        made++;
      }
    }
    return made;
  }

  @Test
  void aFifthOfTheRequestsAndTheFloorBesideIt() {
    // One loop: the whole floor, 10 a second over 10 s.
    RetryBudget b = new RetryBudget(20, 1);
    int made = retriesAllowed(b, 5 * SECOND, 1000);
    assertThat(made).isBetween(100 + 200 - 1, 100 + 200 + 1);
    assertThat(b.allows(5 * SECOND)).isFalse();
  }

  @Test
  void theFloorIsSharedBetweenTheLoops() {
    RetryBudget b = new RetryBudget(0, 4);
    assertThat(retriesAllowed(b, 0, 1000)).isEqualTo(25);
  }

  @Test
  void secondsOlderThanTenAgeOutOneByOne() {
    RetryBudget b = new RetryBudget(0, 1);
    assertThat(retriesAllowed(b, 0, 1000)).isEqualTo(100);
    // Nine seconds on, the first second's retries still count; the tenth frees them.
    assertThat(b.allows(9 * SECOND + SECOND / 2)).isFalse();
    assertThat(b.allows(10 * SECOND)).isTrue();
    // A long silence empties the window.
    assertThat(retriesAllowed(b, 100 * SECOND, 1000)).isEqualTo(100);
  }

  @Test
  void offAllowsEveryRetry() {
    RetryBudget b = new RetryBudget(StcConfig.NO_RETRY_BUDGET, 2);
    assertThat(retriesAllowed(b, 0, 10_000)).isEqualTo(10_000);
  }
}
