package io.stc.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.stc.Clock;
import java.util.concurrent.TimeUnit;

/**
 * The deadlines of one connection's exchanges: the response head's (the response timeout, and
 * the sooner per-try one of the current attempt), the request body's (the longest gap between
 * its bytes), the send deadline (how long a response may wait on a client, or a request body
 * on a backend, that takes none of it) and the silence deadline (how long a response body may
 * wait on a backend that sends nothing, or a gRPC call on both sides).
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

    /** Whether the response still waits on the client: its connection, or its HTTP/2 stream's window, is full. */
    boolean clientStalls();

    /** Whether the request body still waits on the backend, as {@link #clientStalls} on the other side. */
    boolean backendStalls();

    /** The client ({@code backend} false) or the backend took none of what waited for it for the send timeout. */
    void sendDeadlinePassed(boolean backend);

    /**
     * How long until the exchange has been silent too long (its backend sent nothing more of the
     * response, or nothing went either way on a gRPC call), or -1 when no silence is watched now;
     * the exchange decides what counts (time the client holds the response back does not).
     */
    long silenceLeftNanos(long nowNanos);

    void silenceDeadlinePassed();
  }

  private final EventExecutor loop;
  private final Clock clock;
  private final Deadlines exchange;
  private long bodyTimeoutNanos;
  private long sendTimeoutNanos;
  private final Runnable responseTask = this::onResponseTimer;
  private final Runnable bodyTask = this::onBodyTimer;
  private final Runnable sendTask = this::onSendTimer;
  private final Runnable silenceTask = this::onSilenceTimer;
  private ScheduledFuture<?> responseTimer;
  private long responseTimerAt;
  private boolean awaiting;
  private long responseDeadline;
  /** 0 when the current attempt has no per-try deadline (or it passed). */
  private long attemptDeadline;
  private ScheduledFuture<?> bodyTimer;
  private ScheduledFuture<?> sendTimer;
  private ScheduledFuture<?> silenceTimer;
  /** Since when the response has waited on the client (clock nanoseconds), or -1. */
  private long clientStalledSince = -1;
  /** Since when the request body has waited on the backend (clock nanoseconds), or -1. */
  private long backendStalledSince = -1;

  ExchangeTimers(EventExecutor loop, Clock clock, Deadlines exchange, long bodyTimeoutNanos, long sendTimeoutNanos) {
    this.loop = loop;
    this.clock = clock;
    this.exchange = exchange;
    this.bodyTimeoutNanos = bodyTimeoutNanos;
    this.sendTimeoutNanos = sendTimeoutNanos;
  }

  /** The body and send timeouts of the exchange's next request (its settings': a reload may have changed them). */
  void timeouts(long bodyTimeoutNanos, long sendTimeoutNanos) {
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

  /** The exchange ended: nothing waits on either peer. */
  void exchangeEnded() {
    stopAwaiting();
    clientStalledSince = -1;
    backendStalledSince = -1;
  }

  /** A request body began to arrive; its gaps are watched from now. */
  void bodyStarted() {
    if (bodyTimer == null) {
      bodyTimer = loop.schedule(bodyTask, bodyTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Silence is watched from now: the exchange says, when the timer fires in {@code nanos}, how much is left. */
  void watchSilence(long nanos) {
    if (silenceTimer == null) {
      silenceTimer = loop.schedule(silenceTask, nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** The response has to wait on the client; how long is watched from now, unless it already waits. */
  void clientStalled() {
    if (clientStalledSince < 0) {
      clientStalledSince = clock.nanos();
    }
    armSendTimer();
  }

  /** The request body has to wait on the backend, as {@link #clientStalled} on the other side. */
  void backendStalled() {
    if (backendStalledSince < 0) {
      backendStalledSince = clock.nanos();
    }
    armSendTimer();
  }

  /** The client can take more of the response. */
  void clientUnstalled() {
    clientStalledSince = -1;
  }

  /** The backend can take more of the request body. */
  void backendUnstalled() {
    backendStalledSince = -1;
  }

  private void armSendTimer() {
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
    if (silenceTimer != null) {
      silenceTimer.cancel(false);
      silenceTimer = null;
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

  private void onSilenceTimer() {
    silenceTimer = null;
    long left = exchange.silenceLeftNanos(clock.nanos());
    if (left < 0) {
      return; // nothing watched: lapses, and the next response (or call) arms it again
    }
    if (left > 0) {
      silenceTimer = loop.schedule(silenceTask, left, TimeUnit.NANOSECONDS);
      return;
    }
    exchange.silenceDeadlinePassed();
  }

  private void onSendTimer() {
    sendTimer = null;
    long now = clock.nanos();
    if (clientStalledSince >= 0 && !exchange.clientStalls()) {
      clientStalledSince = -1;
    }
    if (backendStalledSince >= 0 && !exchange.backendStalls()) {
      backendStalledSince = -1;
    }
    long client = clientStalledSince < 0 ? -1 : now - clientStalledSince;
    long backend = backendStalledSince < 0 ? -1 : now - backendStalledSince;
    long stalled = Math.max(client, backend);
    if (stalled < 0) {
      return; // the peers took some: lapses, and the next stall arms it again
    }
    long left = sendTimeoutNanos - stalled;
    if (left > 0) {
      sendTimer = loop.schedule(sendTask, left, TimeUnit.NANOSECONDS);
      return;
    }
    boolean backendsFault = backend >= client;
    if (backendsFault) {
      backendStalledSince = -1;
    } else {
      clientStalledSince = -1;
    }
    exchange.sendDeadlinePassed(backendsFault);
  }
}
