package io.stc.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.ManualClock;
import io.stc.health.CircuitBreaker.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
  private final ManualClock clock = new ManualClock(1_000_000_000L);
  private final List<String> transitions = new ArrayList<>();
  private final CircuitBreaker breaker =
      new CircuitBreaker(CircuitBreaker.Settings.DEFAULTS, clock, (from, to) -> transitions.add(from + ">" + to));

  private void fail(int times) {
    for (int i = 0; i < times; i++) {
      assertThat(breaker.tryAcquire()).isTrue();
      breaker.onFailure();
    }
  }

  /** Fails the breaker open, then lets the open time pass and fails the half-open trial. */
  private void failTrial() {
    assertThat(breaker.tryAcquire()).isTrue();
    breaker.onFailure();
  }

  @Test
  void opensAfterThresholdConsecutiveFailures() {
    fail(4);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.tryAcquire()).isTrue();
    breaker.onSuccess();
    fail(4);
    assertThat(breaker.state()).as("a success resets the count").isEqualTo(State.CLOSED);
    fail(1);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.tryAcquire()).isFalse();
    assertThat(transitions).containsExactly("CLOSED>OPEN");
  }

  @Test
  void halfOpenAfterOpenTimeAdmitsOneTrialThenClosesOnSuccess() {
    fail(5);
    clock.advance(Duration.ofMillis(4999));
    assertThat(breaker.tryAcquire()).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(breaker.tryAcquire()).as("one trial at a time").isFalse();
    breaker.onSuccess();
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(transitions).containsExactly("CLOSED>OPEN", "OPEN>HALF_OPEN", "HALF_OPEN>CLOSED");
  }

  @Test
  void failedTrialsDoubleTheOpenTimeUpToTheCap() {
    fail(5);
    long[] expectedSeconds = {10, 20, 40, 60, 60};
    for (long seconds : expectedSeconds) {
      clock.advance(breaker.openTime());
      failTrial();
      assertThat(breaker.state()).isEqualTo(State.OPEN);
      assertThat(breaker.openTime()).isEqualTo(Duration.ofSeconds(seconds));
      clock.advance(Duration.ofSeconds(seconds).minusMillis(1));
      assertThat(breaker.tryAcquire()).isFalse();
      clock.advance(Duration.ofMillis(1));
      assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
      clock.advance(Duration.ofSeconds(seconds).negated());
    }
    assertThat(transitions.subList(0, 3)).containsExactly("CLOSED>OPEN", "OPEN>HALF_OPEN", "HALF_OPEN>OPEN");
  }

  @Test
  void successAfterBackoffResetsTheOpenTime() {
    fail(5);
    clock.advance(Duration.ofSeconds(5));
    failTrial();
    clock.advance(Duration.ofSeconds(10));
    assertThat(breaker.tryAcquire()).isTrue();
    breaker.onSuccess();
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    fail(5);
    assertThat(breaker.openTime()).isEqualTo(Duration.ofSeconds(5));
    clock.advance(Duration.ofSeconds(5));
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
  }

  @Test
  void lateResultsOfOldRequestsDoNotDecideTheTrial() {
    for (int i = 0; i < 7; i++) {
      assertThat(breaker.tryAcquire()).isTrue();
    }
    for (int i = 0; i < 5; i++) {
      breaker.onFailure();
    }
    breaker.onSuccess();
    assertThat(breaker.state()).as("a success while open changes nothing").isEqualTo(State.OPEN);
    clock.advance(Duration.ofSeconds(5));
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    breaker.onSuccess();
    assertThat(breaker.state()).as("no trial out yet").isEqualTo(State.HALF_OPEN);
  }

  @Test
  void halfOpenRequestsSetsHowManyTrialsAtATime() {
    CircuitBreaker three = new CircuitBreaker(
        new CircuitBreaker.Settings(2, Duration.ofSeconds(1), 3, Duration.ofSeconds(4)), clock);
    three.onFailure();
    three.onFailure();
    assertThat(three.state()).isEqualTo(State.OPEN);
    clock.advance(Duration.ofSeconds(1));
    assertThat(three.tryAcquire()).isTrue();
    assertThat(three.tryAcquire()).isTrue();
    assertThat(three.tryAcquire()).isTrue();
    assertThat(three.tryAcquire()).isFalse();
    three.onFailure();
    assertThat(three.state()).isEqualTo(State.OPEN);
    assertThat(three.openTime()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void listenerFailureDoesNotBreakTheBreaker() {
    CircuitBreaker b = new CircuitBreaker(CircuitBreaker.Settings.DEFAULTS, clock, (from, to) -> {
      throw new IllegalStateException("listener bug");
    });
    for (int i = 0; i < 5; i++) {
      b.onFailure();
    }
    assertThat(b.state()).isEqualTo(State.OPEN);
  }

  @Test
  void settingsAreValidated() {
    assertThatThrownBy(() -> new CircuitBreaker.Settings(0, Duration.ofSeconds(5), 1, Duration.ofSeconds(60)))
        .hasMessageContaining("failure_threshold");
    assertThatThrownBy(() -> new CircuitBreaker.Settings(5, Duration.ZERO, 1, Duration.ofSeconds(60)))
        .hasMessageContaining("open_time");
    assertThatThrownBy(() -> new CircuitBreaker.Settings(5, Duration.ofSeconds(5), 0, Duration.ofSeconds(60)))
        .hasMessageContaining("half_open_requests");
    assertThatThrownBy(() -> new CircuitBreaker.Settings(5, Duration.ofSeconds(5), 1, Duration.ofSeconds(1)))
        .hasMessageContaining("max_open_time");
  }
}
