package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import io.stc.pool.Backend;
import io.stc.proxy.Exchange.Stage;

/**
 * The upstream side of one exchange (Envoy's router keeps its UpstreamRequest apart the same way):
 * the request on its way to a backend, one attempt at a time. It begins each attempt on the backend
 * picked ({@link Attempts} keeps their books), holds the attempt's {@link BackendLink}, sends the
 * request out, hears everything the link reports, and when an attempt fails decides whether the
 * request goes again and where, or the exchange answers the failure. What reaches the client is
 * the {@link Exchange}'s business.
 *
 * <p>Made once per exchange and reused for each of its requests; runs on the exchange's event loop,
 * which is also the loop of every link it uses.
 */
final class UpstreamRequest {
  private final ProxyServer proxy;
  /** What the current request goes by (the settings in force when it started). */
  private ProxySettings settings;
  private final Exchange exchange;
  private final ClientConnection client;
  private final ClientRequest request;
  private final RequestBody body;
  private final Attempts attempts;
  private final GrpcCall grpc;
  private final ExchangeTimers timers;

  /**
   * The link of the current attempt, or null between attempts. A link this owns reports here
   * until it is closed or released, but only the current one's reports count: the exchange may have
   * moved on (answered, gone elsewhere) while a report was on its way.
   */
  private BackendLink link;
  private boolean idempotent;
  /** The backend has been sent the whole request. */
  private boolean requestSent;
  private boolean backendKeepAlive;

  UpstreamRequest(ProxyServer proxy, Exchange exchange, ClientConnection client, ClientRequest request, Attempts attempts,
      GrpcCall grpc, ExchangeTimers timers) {
    this.proxy = proxy;
    this.settings = proxy.settings;
    this.exchange = exchange;
    this.client = client;
    this.request = request;
    this.body = request.body;
    this.attempts = attempts;
    this.grpc = grpc;
    this.timers = timers;
  }

  /**
   * A new request: nothing of it sent yet; whether it may go again after it was sent depends on its
   * method, or on an {@code Idempotency-Key} with which the client says the server dedupes it (as
   * Go's client reads it).
   */
  /** The current attempt's response body goes on as data alone ({@link BackendLink#dataOnly()}). */
  void dataOnly() {
    if (link != null) {
      link.dataOnly();
    }
  }

  void start(HttpRequest head, ProxySettings settings) {
    this.settings = settings;
    idempotent = isIdempotent(head.method())
        || head.headers().contains(IDEMPOTENCY_KEY) || head.headers().contains(X_IDEMPOTENCY_KEY);
    requestSent = false;
  }

  // ---- an attempt begins ---------------------------------------------------------------------------

  /** Begins an attempt on {@code b} (picked, its slot taken): the request goes out once the link is open. */
  void dispatch(Backend b) {
    attempts.begin(b);
    requestSent = false;
    exchange.stage = Stage.CONNECTING;
    LoopContext loop = client.loop;
    if (b.speaksHttp2()) {
      Http2Link stream = loop.stream(b, this, settings.rewriter().servedByLowerCase());
      link = stream;
      // linkReady, or onBackendClosed, comes when the stream is (or cannot be) open: maybe at once.
      stream.open();
      return;
    }
    // A request that may go again if its kept connection closes under it may take an older one.
    Http1Link idle = loop.acquire(b, idempotent && request.hasNoBody());
    if (idle != null) {
      link = idle;
      idle.owner = this;
      writeHeadAndPending(!client.inRead);
      return;
    }
    Http1Link fresh = new Http1Link(b, loop, settings.rewriter().servedByLowerCase());
    link = fresh;
    fresh.owner = this;
    loop.connect(fresh).addListener((ChannelFuture f) -> {
      if (link != fresh) {
        // The exchange moved on (client gone, or answered) while we were connecting.
        if (f.isSuccess()) {
          f.channel().close();
        }
        return;
      }
      if (f.cause() instanceof AlpnChoseHttp2) {
        // The backend speaks h2 (now known): the same request goes to it as a stream.
        link = null;
        fresh.owner = null;
        attempts.end(false, false, false);
        Backend next = attempts.pickSameAgain();
        if (next != null) {
          attempts.sameAttemptAgain();
        } else {
          next = attempts.pick(request);
        }
        if (next != null) {
          dispatch(next);
        } else {
          exchange.finishWithFailure(ProxyFailure.NO_BACKEND);
        }
        return;
      }
      if (!f.isSuccess()) {
        link = null;
        fresh.owner = null;
        proxy.passiveHealth.connectFailed(attempts.backend(), f.cause());
        attemptFailed(ProxyFailure.CONNECT_FAILED);
        return;
      }
      fresh.channel = f.channel();
      linkReady(fresh);
    });
  }

  /** The link of the current attempt is open: the request goes out. */
  void linkReady(BackendLink l) {
    if (l != link) {
      l.close();
      return;
    }
    writeHeadAndPending(true);
  }

  private void writeHeadAndPending(boolean flush) {
    BackendLink l = link;
    l.expect(request.isHeadMethod(), request.relaysFraming());
    l.writeHead(request);
    exchange.stage = Stage.FORWARDING;
    if (body.writeHeld(l) || request.hasNoBody()) {
      markRequestSent();
    }
    if (flush) {
      l.flush();
    }
    client.updateReading();
  }

  /** Writes a piece of the request body to the current attempt's link (not flushed); takes ownership. */
  void sendBody(HttpContent c, boolean last) {
    link.writeBody(c);
    if (last) {
      markRequestSent();
    }
    if (!link.isWritable()) {
      // Upload back-pressure: the client waits for the backend, for as long as the send timeout
      // allows (a backend that takes none of the body would otherwise hold both for ever).
      client.updateReading();
      timers.backendStalled();
    }
  }

  private void markRequestSent() {
    requestSent = true;
    if (exchange.stage == Stage.FORWARDING) {
      long now = proxy.clock.nanos();
      long perTry = settings.perTry().enabled() && attempts.mayRetry() && body.replayable()
          ? settings.perTryNanos(attempts.backend(), now) : 0;
      timers.awaitResponse(now, grpc.responseWait(settings.responseTimeoutNanos(), now), perTry);
    }
  }

  // ---- flow control between the two sides -------------------------------------------------------

  /** Whether more of the request body may come from the client, as far as the backend goes (none waits on a link not open yet). */
  boolean takesBody() {
    return link == null || exchange.stage.compareTo(Stage.FORWARDING) < 0 || link.isWritable();
  }

  /** Whether the request body waits on the backend: some is still to go, and the link takes none now. */
  boolean bodyStalls() {
    return link != null && !requestSent && exchange.stage.compareTo(Stage.FORWARDING) >= 0 && exchange.stage != Stage.TUNNEL
        && !link.isWritable();
  }

  /** The client caught up with the response: the backend may be read again. */
  void resumeReading() {
    if (link != null && link.channel != null && exchange.stage == Stage.RESPONDING) {
      link.reading(true);
    }
  }

  /** Flushes what the client sent on to the backend. */
  void flush() {
    if (link != null && link.channel != null && exchange.stage.compareTo(Stage.FORWARDING) >= 0 && exchange.stage != Stage.TUNNEL) {
      link.flush();
    }
  }

  // ---- what the link reports -----------------------------------------------------------------------

  void onResponseHead(BackendLink l, ResponseHead head) {
    if (l != link) {
      return;
    }
    l.backend.stats().responded(proxy.clock.nanos());
    int code = head.status;
    if (code >= 200 || code == 101) {
      attempts.answered(code);
    }
    if (code == 101) {
      if (request.upgradeRequested && l instanceof Http1Link h1) {
        exchange.switchToTunnel(h1, head);
      } else {
        attemptFailed(ProxyFailure.BAD_RESPONSE);
      }
      return;
    }
    if (code < 200) {
      // Interim: pass it on and keep waiting for the real response.
      exchange.interim(head);
      return;
    }
    timers.stopAwaiting();
    if (request.cannotRelayCoding(head)) {
      attemptFailed(ProxyFailure.BAD_RESPONSE);
      return;
    }
    boolean refusedCall = grpc.refusedUnavailable(head, l.headEndedStream);
    if ((refusedCall || (!grpc.active() && idempotent && settings.retryOnStatus().contains(code))) && retryAnswered(l, code, refusedCall)) {
      return;
    }
    backendKeepAlive = head.keepAlive();
    exchange.respond(head);
  }

  /**
   * A backend answered, but with what the request may go elsewhere for: a status
   * {@code retry_on_status} lists, to a request that may be sent again (nginx's
   * {@code proxy_next_upstream http_503}, HAProxy's {@code retry-on 503}), or a gRPC call's
   * UNAVAILABLE before any response (trailers-only). It goes to another backend when the retries,
   * the retry budget and its body allow and one takes it; else false, and the answer goes to the
   * client as it is (the attempt already judged).
   */
  private boolean retryAnswered(BackendLink l, int status, boolean refusedCall) {
    if (!attempts.mayRetry() || !body.replayable()) {
      return false;
    }
    long now = proxy.clock.nanos();
    if (!client.loop.retryBudget.allows(now)) {
      proxy.stats.retryDenied();
      return false;
    }
    boolean failed = refusedCall || status >= 500;
    attempts.end(failed, failed && settings.count5xx(), true);
    if (refusedCall) {
      grpc.countRefused();
    }
    Backend next = attempts.pick(request);
    if (next == null) {
      if (refusedCall) {
        grpc.settle();
      }
      return false;
    }
    proxy.stats.retry();
    client.loop.retryBudget.spent(now);
    link = null;
    l.release(false);
    // The head (and maybe some of the body) went out: the next attempt sends it all again.
    body.rewind();
    dispatch(next);
    return true;
  }

  void onResponseBody(BackendLink l, ByteBuf piece) {
    if (l != link) {
      piece.release();
      return;
    }
    if (!exchange.responseBody(piece)) {
      // Download back-pressure: stop reading the backend until the client catches up, for as long
      // as the send timeout allows.
      l.reading(false);
      timers.clientStalled();
    }
  }

  /** The next {@code length} bytes of {@code in} are body; read here. */
  void onResponseBody(BackendLink l, ByteBuf in, int length) {
    if (l != link) {
      in.skipBytes(length);
    } else if (!exchange.joinResponseBody(in, length)) {
      onResponseBody(l, in.readRetainedSlice(length));
    }
  }

  void onResponseEnd(BackendLink l) {
    if (l != link) {
      return;
    }
    exchange.responseEnded(l.trailers());
  }

  void onBadResponse(BackendLink l) {
    if (l != link) {
      return;
    }
    // When nothing of this response has reached the client yet, the attempt fails like a bad head
    // (a retry or a clean 502) instead of the connection being cut.
    exchange.withdrawUnwrittenResponse();
    if (exchange.stage == Stage.RESPONDING) {
      exchange.abortMidResponse(ProxyFailure.BACKEND_CLOSED);
    } else {
      attemptFailed(ProxyFailure.BAD_RESPONSE);
    }
  }

  void onBackendClosed(BackendLink l) {
    if (l != link) {
      return;
    }
    if (exchange.stage == Stage.RESPONDING) {
      exchange.abortMidResponse(ProxyFailure.BACKEND_CLOSED);
    } else {
      attemptFailed(l.channel == null ? ProxyFailure.CONNECT_FAILED : ProxyFailure.BACKEND_CLOSED);
    }
  }

  /** The backend's read ended: what it gave goes on to the client in one flush. */
  void flushToClient() {
    exchange.flushToClient();
  }

  void backendWritabilityChanged() {
    if (link != null && link.isWritable()) {
      timers.backendUnstalled();
    }
    client.updateReading();
  }

  // ---- deadlines -----------------------------------------------------------------------------------

  /**
   * The per-try deadline passed. If the backend answered nothing since the attempt began while
   * another backend the request could go to did, it looks hung (stopped, deadlocked, cut off): the
   * request goes elsewhere now rather than at the response timeout. A backend that keeps answering
   * others is merely slow for this request, and a retry would not be faster.
   */
  void attemptDeadlinePassed() {
    if (exchange.stage == Stage.FORWARDING && link != null && attempts.currentLooksHung()) {
      attemptFailed(ProxyFailure.ATTEMPT_TIMEOUT);
    }
  }

  /**
   * No response head within the response timeout: the link closes, the attempt counts against the
   * backend, and the client is answered (no retry: the time the request had is spent).
   */
  void responseDeadlinePassed() {
    if (exchange.stage != Stage.FORWARDING || link == null) {
      return;
    }
    BackendLink l = link;
    link = null;
    l.close();
    attempts.end(true, true, true);
    exchange.finishWithFailure(ProxyFailure.RESPONSE_TIMEOUT);
  }

  // ---- how an attempt ends -------------------------------------------------------------------------

  /**
   * The attempt failed before a response began: the request goes again (elsewhere, or to the same
   * backend when it never acted on it) when that is safe and the retries allow; else the exchange
   * answers the failure.
   */
  void attemptFailed(ProxyFailure failure) {
    attempts.failed(failure);
    timers.stopAwaiting();
    BackendLink l = link;
    link = null;
    boolean afterSend = exchange.stage.compareTo(Stage.FORWARDING) >= 0;
    // Refused unprocessed (HTTP/2's REFUSED_STREAM, a GOAWAY before it): as if never sent.
    boolean unprocessed = l != null && l.refusedUnprocessed();
    // A kept-alive connection the backend closed as the request went out (the race of every
    // keep-alive pool): no verdict on the backend, and an idempotent request goes again, as
    // browsers and Go's client do.
    boolean closedIdle = idempotent && failure == ProxyFailure.BACKEND_CLOSED && l != null && l.closedWhileIdleMaybe();
    attempts.end(!closedIdle, !closedIdle, !closedIdle);
    proxy.stats.failure(failure);
    if (l != null) {
      l.close();
    }
    // A request the backend refused unprocessed may go again (twice more) even past the retries.
    boolean again = unprocessed || closedIdle;
    boolean retryable = (attempts.mayRetry() || (again && attempts.mayRetryUnprocessed()))
        && (!afterSend || ((idempotent || unprocessed) && body.replayable()));
    // A request the backend never acted on costs nothing to send again; any other retry comes out
    // of the loop's retry budget, so a pool that fails as a whole is not sent everything twice more.
    long now = proxy.clock.nanos();
    if (retryable && !again && !client.loop.retryBudget.allows(now)) {
      proxy.stats.retryDenied();
      retryable = false;
    }
    if (retryable) {
      Backend next = attempts.pick(request);
      if (next == null && again) {
        // Nothing else to try, but the backend never acted on it: the same one may take it now.
        next = attempts.pickSameAgain();
      }
      if (next != null) {
        proxy.stats.retry();
        if (!again) {
          client.loop.retryBudget.spent(now);
        }
        if (afterSend) {
          body.rewind();
        }
        dispatch(next);
        return;
      }
    }
    exchange.answerFailure(failure);
  }

  /**
   * The response came whole: the attempt ends ({@code failed}: the backend's failure, a 5xx or a
   * gRPC error) and its link goes back for another request when the backend keeps it alive and
   * none of this request is still owed to it.
   */
  void completed(boolean failed) {
    BackendLink l = link;
    if (!grpc.settled()) {
      attempts.end(failed, failed && settings.count5xx(), true);
    }
    link = null;
    l.release(backendKeepAlive && requestSent);
  }


  /** The backend broke off a response that had begun: the attempt counts against it, and its link, if any, closes. */
  void brokenOff() {
    attempts.end(true, true, true);
    BackendLink l = link;
    link = null;
    if (l != null) {
      l.close();
    }
  }

  /** Lets the backend link go, closed, and ends the attempt without a verdict on the backend (the client was at fault or gone). */
  void dropAttempt() {
    if (link != null) {
      BackendLink l = link;
      link = null;
      l.close();
      attempts.end(false, false, false);
    }
  }

  /** The link's connection now belongs to a tunnel: the attempt lets go of it unclosed, and lasts until the tunnel ends. */
  void handedToTunnel() {
    link = null;
  }

  /** The tunnel ended: so does the attempt, a success. */
  void tunnelEnded() {
    attempts.end(false, false, true);
  }

  private static final AsciiString IDEMPOTENCY_KEY = AsciiString.cached("idempotency-key");
  private static final AsciiString X_IDEMPOTENCY_KEY = AsciiString.cached("x-idempotency-key");

  private static boolean isIdempotent(HttpMethod m) {
    return m == HttpMethod.GET
        || m == HttpMethod.HEAD
        || m == HttpMethod.PUT
        || m == HttpMethod.DELETE
        || m == HttpMethod.OPTIONS
        || m == HttpMethod.TRACE;
  }
}
