package io.stc.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.stc.Clock;
import java.util.concurrent.TimeUnit;

/**
 * The deadlines of one connection's exchanges: the response head's (the response timeout, and
 * the sooner per-try one of the current attempt), the request body's (the longest gap between
 * its bytes) and the send deadline (how long a response may wait on a client, or a request body
 * on a backend, that takes none of it).
 * One timer each per connection, re-armed only when it fires early and never
 * cancelled on the way, so a request costs a clock read here and, mostly, no scheduling.
 */
final class ExchangeTimers {
  /** What a deadline that passed means for the exchange. */
  interface Deadlines {
    /** The current attempt's per-try deadline passed; the response timer carries on unless the exchange moves. */
    void attemptDeadlinePassed();

    /** No response head within the response timeout. */
    void responseDeadlinePassed();

    /**
     * How long the body has been stalled through the client's fault, or -1 when no body is due;
     * the exchange decides what its gap is (time the proxy itself stopped reading does not count).
     */
    long bodyStalledNanos(long nowNanos);

    void bodyDeadlinePassed();

    /**
     * How long the response has waited on the client, or the request body on the backend (the
     * peer's connection, or its HTTP/2 stream's window, full since then), or -1 when neither waits.
     */
    long sendStalledNanos(long nowNanos);

    void sendDeadlinePassed();
  }

  private final EventExecutor loop;
  private final Clock clock;
  private final Deadlines exchange;
  private final long bodyTimeoutNanos;
  private final long sendTimeoutNanos;
  private final Runnable responseTask = this::onResponseTimer;
  private final Runnable bodyTask = this::onBodyTimer;
  private final Runnable sendTask = this::onSendTimer;
  private ScheduledFuture<?> responseTimer;
  private long responseTimerAt;
  private boolean awaiting;
  private long responseDeadline;
  /** 0 when the current attempt has no per-try deadline (or it passed). */
  private long attemptDeadline;
  private ScheduledFuture<?> bodyTimer;
  private ScheduledFuture<?> sendTimer;

  ExchangeTimers(EventExecutor loop, Clock clock, Deadlines exchange, long bodyTimeoutNanos, long sendTimeoutNanos) {
    this.loop = loop;
    this.clock = clock;
    this.exchange = exchange;
    this.bodyTimeoutNanos = bodyTimeoutNanos;
    this.sendTimeoutNanos = sendTimeoutNanos;
  }

  /** The request went out whole: the response head is due within {@code timeoutNanos}, an attempt's within {@code perTryNanos} (0: none). */
  void awaitResponse(long nowNanos, long timeoutNanos, long perTryNanos) {
    awaiting = true;
    responseDeadline = nowNanos + timeoutNanos;
    attemptDeadline = perTryNanos > 0 && perTryNanos < timeoutNanos ? nowNanos + perTryNanos : 0;
    long first = attemptDeadline != 0 ? attemptDeadline : responseDeadline;
    if (responseTimer == null || first - responseTimerAt < 0) {
      if (responseTimer != null) {
        responseTimer.cancel(false);
      }
      schedule(first, nowNanos);
    }
  }

  /** The response started, or the attempt ended: nothing is awaited. The timer lapses when it fires. */
  void stopAwaiting() {
    awaiting = false;
    attemptDeadline = 0;
  }

  /** A request body began to arrive; its gaps are watched from now. */
  void bodyStarted() {
    if (bodyTimer == null) {
      bodyTimer = loop.schedule(bodyTask, bodyTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** A response began to wait on the client, or a request body on the backend; how long is watched from now. */
  void sendStalled() {
    if (sendTimer == null) {
      sendTimer = loop.schedule(sendTask, sendTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  void cancelAll() {
    awaiting = false;
    if (responseTimer != null) {
      responseTimer.cancel(false);
      responseTimer = null;
    }
    if (bodyTimer != null) {
      bodyTimer.cancel(false);
      bodyTimer = null;
    }
    if (sendTimer != null) {
      sendTimer.cancel(false);
      sendTimer = null;
    }
  }

  private void schedule(long at, long nowNanos) {
    responseTimerAt = at;
    responseTimer = loop.schedule(responseTask, at - nowNanos, TimeUnit.NANOSECONDS);
  }

  private void onResponseTimer() {
    responseTimer = null;
    if (!awaiting) {
      return;
    }
    long now = clock.nanos();
    if (attemptDeadline != 0 && now - attemptDeadline >= 0) {
      attemptDeadline = 0;
      exchange.attemptDeadlinePassed();
      if (!awaiting || responseTimer != null) {
        return; // the exchange moved on (a new attempt re-armed, or it ended)
      }
    }
    long next = attemptDeadline != 0 ? Math.min(attemptDeadline, responseDeadline) : responseDeadline;
    if (next - now > 0) {
      schedule(next, now);
      return;
    }
    awaiting = false;
    exchange.responseDeadlinePassed();
  }

  private void onBodyTimer() {
    bodyTimer = null;
    long now = clock.nanos();
    long stalled = exchange.bodyStalledNanos(now);
    if (stalled < 0) {
      return; // no body due: lapses, and the next body arms it again
    }
    long left = bodyTimeoutNanos - stalled;
    if (left > 0) {
      bodyTimer = loop.schedule(bodyTask, left, TimeUnit.NANOSECONDS);
      return;
    }
    exchange.bodyDeadlinePassed();
  }

  private void onSendTimer() {
    sendTimer = null;
    long stalled = exchange.sendStalledNanos(clock.nanos());
    if (stalled < 0) {
      return; // the peer took some: lapses, and the next stall arms it again
    }
    long left = sendTimeoutNanos - stalled;
    if (left > 0) {
      sendTimer = loop.schedule(sendTask, left, TimeUnit.NANOSECONDS);
      return;
    }
    exchange.sendDeadlinePassed();
  }
}
