package io.stc.health;

import io.stc.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backend's circuit breaker: after {@code failureThreshold} consecutive failures it opens and
 * refuses requests for the open time, then lets a few trial requests through (half-open); a trial
 * success closes it, a trial failure opens it again for twice as long, up to a cap.
 *
 * <p>Lock-free: the state is an immutable phase swapped by CAS (only on transitions), plus a
 * consecutive-failure counter that a success writes only when it is not already zero. Every
 * request {@link #tryAcquire()} admits must end in {@link #onSuccess()} or {@link #onFailure()}.
 */
public final class CircuitBreaker {
  private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);

  /** Where the breaker is. */
  public enum State {
    /** Requests flow; failures are counted. */
    CLOSED,
    /** Requests are refused until the open time ends. */
    OPEN,
    /** A limited number of trial requests decide between CLOSED and OPEN. */
    HALF_OPEN
  }

  /** Told of every transition, on the thread that made it. */
  @FunctionalInterface
  public interface Listener {
    void onTransition(State from, State to);
  }

  /** The breaker's thresholds and times. */
  public record Settings(int failureThreshold, Duration openTime, int halfOpenRequests, Duration maxOpenTime) {
    /** 5 failures, open 5 s doubling to 60 s, 1 trial request. */
    public static final Settings DEFAULTS = new Settings(5, Duration.ofSeconds(5), 1, Duration.ofSeconds(60));

    public Settings {
      Objects.requireNonNull(openTime, "open_time");
      Objects.requireNonNull(maxOpenTime, "max_open_time");
      if (failureThreshold < 1) {
        throw new IllegalArgumentException("failure_threshold must be at least 1, got " + failureThreshold);
      }
      if (halfOpenRequests < 1) {
        throw new IllegalArgumentException("half_open_requests must be at least 1, got " + halfOpenRequests);
      }
      if (openTime.isNegative() || openTime.isZero()) {
        throw new IllegalArgumentException("open_time must be positive, got " + openTime);
      }
      if (maxOpenTime.compareTo(openTime) < 0 || maxOpenTime.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException(
            "max_open_time must be between open_time (" + openTime + ") and 1 day, got " + maxOpenTime);
      }
    }
  }

  // openNanos: how long this (or the next) OPEN lasts; trials: trial requests admitted and not yet ended.
  private record Phase(State state, long openUntil, long openNanos, int trials) {}

  private final Settings settings;
  private final Clock clock;
  private final Listener listener;
  private final long baseOpenNanos;
  private final long maxOpenNanos;
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicReference<Phase> phase;

  public CircuitBreaker(Settings settings, Clock clock, Listener listener) {
    this.settings = Objects.requireNonNull(settings);
    this.clock = Objects.requireNonNull(clock);
    this.listener = Objects.requireNonNull(listener);
    this.baseOpenNanos = settings.openTime().toNanos();
    this.maxOpenNanos = settings.maxOpenTime().toNanos();
    this.phase = new AtomicReference<>(new Phase(State.CLOSED, 0, baseOpenNanos, 0));
  }

  public CircuitBreaker(Settings settings, Clock clock) {
    this(settings, clock, (from, to) -> {});
  }

  /** Whether a request may use the backend now; when true, end it with {@link #onSuccess()} or {@link #onFailure()}. */
  public boolean tryAcquire() {
    while (true) {
      Phase p = current();
      switch (p.state) {
        case CLOSED:
          return true;
        case OPEN:
          return false;
        default:
          if (p.trials >= settings.halfOpenRequests()) {
            return false;
          }
          if (phase.compareAndSet(p, new Phase(State.HALF_OPEN, 0, p.openNanos, p.trials + 1))) {
            return true;
          }
      }
    }
  }

  /** The request admitted by {@link #tryAcquire()} succeeded. */
  public void onSuccess() {
    while (true) {
      Phase p = phase.get();
      if (p.state == State.CLOSED) {
        if (failures.get() != 0) {
          failures.set(0);
        }
        return;
      }
      // In OPEN, or HALF_OPEN with no trial out, this is a late result of a request admitted
      // before the breaker opened: it says nothing about the backend now.
      if (p.state == State.OPEN || p.trials == 0) {
        return;
      }
      failures.set(0);
      if (transition(p, new Phase(State.CLOSED, 0, baseOpenNanos, 0))) {
        return;
      }
    }
  }

  /** The request admitted by {@link #tryAcquire()} failed. */
  public void onFailure() {
    while (true) {
      Phase p = phase.get();
      long now = clock.nanos();
      if (p.state == State.CLOSED) {
        if (failures.incrementAndGet() < settings.failureThreshold()) {
          return;
        }
        if (transition(p, new Phase(State.OPEN, now + p.openNanos, p.openNanos, 0))) {
          return;
        }
        // Another thread moved the breaker; count nothing twice.
        failures.decrementAndGet();
        continue;
      }
      if (p.state == State.OPEN || p.trials == 0) {
        return;
      }
      long open = Math.min(maxOpenNanos, p.openNanos * 2);
      if (transition(p, new Phase(State.OPEN, now + open, open, 0))) {
        return;
      }
    }
  }

  /**
   * The request admitted by {@link #tryAcquire()} ended without saying anything about the backend
   * (the client went away first): frees its trial slot, if it held one, without a verdict.
   */
  public void onIgnored() {
    while (true) {
      Phase p = phase.get();
      if (p.state != State.HALF_OPEN || p.trials == 0) {
        return;
      }
      if (phase.compareAndSet(p, new Phase(State.HALF_OPEN, 0, p.openNanos, p.trials - 1))) {
        return;
      }
    }
  }

  /** The state now (an OPEN breaker whose time is up reports HALF_OPEN). */
  public State state() {
    return current().state;
  }

  /** How long the breaker stays OPEN the next (or, when open, this) time. */
  public Duration openTime() {
    return Duration.ofNanos(phase.get().openNanos);
  }

  private Phase current() {
    while (true) {
      Phase p = phase.get();
      if (p.state != State.OPEN || clock.nanos() - p.openUntil < 0) {
        return p;
      }
      transition(p, new Phase(State.HALF_OPEN, 0, p.openNanos, 0));
    }
  }

  private boolean transition(Phase from, Phase to) {
    if (!phase.compareAndSet(from, to)) {
      return false;
    }
    if (from.state != to.state) {
      try {
        listener.onTransition(from.state, to.state);
      } catch (RuntimeException e) {
        log.warn("circuit breaker listener failed on {} -> {}", from.state, to.state, e);
      }
    }
    return true;
  }
}
