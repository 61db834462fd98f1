package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.stc.balance.Request;
import io.stc.pool.Backend;

/**
 * One request's way through the proxy, from its head to the end of its response: the admission
 * steps, an optional read of the whole body, a place in the queue, attempts on backends (retried
 * elsewhere when that is safe), and the response streamed back. One explicit {@link Stage} at a
 * time. A client connection (or HTTP/2 stream) reuses one exchange for each of its requests, so a
 * request allocates none.
 *
 * <p>Everything here runs on the client connection's event loop, which is also the loop of every
 * backend link it uses, so nothing needs synchronisation.
 */
final class Exchange implements Request, ExchangeTimers.Deadlines {
  /** Where the exchange is; what happened on the way is in the fields below. */
  enum Stage {
    /** No request in progress. */
    IDLE,
    /** Reading the whole (small) body before a backend is picked. */
    BUFFERING,
    /** Waiting in the request queue for a backend with room. */
    QUEUED,
    /** An attempt began: its link to the backend is being opened. */
    CONNECTING,
    /** The request head went to the backend; its body may still be on the way; no response yet. */
    FORWARDING,
    /** The response head reached the client side; its body streams. */
    RESPONDING,
    /** Switched protocols: bytes are relayed both ways by a tunnel until either side closes. */
    TUNNEL
  }

  private static final byte[] CONTINUE = ResponseHead.ascii("HTTP/1.1 100 Continue\r\n\r\n");
  /** Stands in for a request that could not be parsed, so the bookkeeping stays uniform. */
  private static final HttpRequest MALFORMED = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");

  private final ProxyServer proxy;
  private final ProxySettings settings;
  private final ClientConnection client;
  private final ExchangeTimers timers;
  final Attempts attempts;
  final RequestBody body = new RequestBody();
  /** Set up when the proxy has a request queue. */
  private final QueuePlace queuePlace;

  Stage stage = Stage.IDLE;
  HttpRequest request;
  private HttpVersion clientVersion;
  private boolean keepAlive;
  private boolean idempotent;
  /** The client has sent the whole request. */
  private boolean requestReceived;
  /** The backend has been sent the whole request. */
  private boolean requestSent;
  private boolean backendKeepAlive;
  /** The request asks to switch to WebSocket; its Upgrade and Connection headers go through. */
  boolean upgradeRequested;
  /** The proxy answered the client's 100-continue itself (while buffering), so Expect stays here. */
  boolean answeredExpect;
  private BackendLink link;
  private int status;
  private long retryAfterSeconds;
  private long startNanos;
  private long lastBodyNanos;
  private final GrpcCall grpc;

  Exchange(ProxyServer proxy, ClientConnection client) {
    this.proxy = proxy;
    this.settings = proxy.settings;
    this.client = client;
    this.attempts = new Attempts(proxy);
    this.grpc = new GrpcCall(proxy.stats);
    this.timers = new ExchangeTimers(client.loop.loop, proxy.clock, this, settings.bodyTimeoutNanos(), settings.sendTimeoutNanos());
    this.queuePlace = proxy.queue == null ? null
        : new QueuePlace(proxy, client.loop.loop, () -> attempts.pick(this), this::dispatch, this::finishWithFailure,
            () -> QueuePlace.footprint(request));
  }

  boolean inProgress() {
    return request != null;
  }

  /** The client sent the whole request: anything more it sends is the next request. */
  boolean requestReceived() {
    return requestReceived;
  }

  // ---- the request comes in ---------------------------------------------------------------------

  /** A request head arrived (its body, if any, follows as content). */
  void start(HttpRequest req) {
    client.timeouts.headReceived();
    request = req;
    clientVersion = req.protocolVersion();
    keepAlive = HttpUtil.isKeepAlive(req) && !proxy.draining && !client.refused;
    idempotent = isIdempotent(req.method());
    requestReceived = requestHasNoBody();
    requestSent = false;
    answeredExpect = false;
    attempts.clear();
    status = 0;
    stage = Stage.BUFFERING;
    startNanos = proxy.clock.nanos();
    grpc.start(req.headers(), startNanos);
    proxy.stats.requestStarted();
    ProxyFailure refusal = client.refused ? ProxyFailure.CONNECTION_LIMIT : proxy.steps.admit(this);
    if (refusal != null) {
      if (refusal != ProxyFailure.RATE_LIMITED) {
        keepAlive = false;
      }
      finishWithFailure(refusal);
      return;
    }
    upgradeRequested = !client.http2Stream && WebSocketUpgrade.isRequested(req);
    boolean chunked = HttpUtil.isTransferEncodingChunked(req);
    long declared = chunked ? -1 : HttpUtil.getContentLength(req, -1L);
    // Kept for a replay whatever the method: a request a backend refused unprocessed may go again.
    body.start(true, chunked, declared, settings.bufferLimit());
    if (!requestHasNoBody()) {
      // A body follows: it may not trickle in (slow POST), and a small one is read whole first, so
      // a slow client never holds a backend connection for it (nginx's request buffering).
      lastBodyNanos = startNanos;
      timers.bodyStarted();
      int limit = settings.bufferLimit();
      if (limit > 0 && (chunked || (declared >= 0 && declared <= limit))) {
        if (!client.http2Stream && clientVersion == HttpVersion.HTTP_1_1 && HttpUtil.is100ContinueExpected(req)) {
          // The body is wanted here and now, not when a backend says so.
          answeredExpect = true;
          client.ctx.writeAndFlush(Unpooled.wrappedBuffer(CONTINUE));
        }
        return;
      }
    }
    proceed();
  }

  /** Whether the request's head is all of it (the decoders give such a request as a FullHttpRequest). */
  boolean requestHasNoBody() {
    return request instanceof LastHttpContent;
  }

  /** Picks a backend and sends the request to it, or queues it for one, or answers that there is none. */
  private void proceed() {
    if (proxy.queue != null && proxy.queue.hasWaiters()) {
      // Others are already waiting for room: no overtaking.
      queue();
      return;
    }
    Backend b = attempts.pick(this);
    if (b != null) {
      dispatch(b);
    } else if (proxy.queue != null && (settings.queueWhenEmpty() || proxy.upstream.pool().availableCount() > 0)) {
      queue();
    } else {
      finishWithFailure(ProxyFailure.NO_BACKEND);
    }
  }

  private void queue() {
    stage = Stage.QUEUED;
    queuePlace.join();
  }

  /** A piece of the request body arrived. */
  void content(HttpContent c) {
    long bodyBytes = body.received(c);
    lastBodyNanos = proxy.clock.nanos();
    boolean last = c instanceof LastHttpContent;
    if (proxy.validator.bodyTooLarge(bodyBytes) || body.overDeclared(last)) {
      // HTTP/1 bodies were measured by the decoder; this catches an HTTP/2 stream's DATA.
      c.release();
      rejectMalformed(new RequestRejection(
          body.overDeclared(last) ? ProxyFailure.BAD_REQUEST : ProxyFailure.BODY_TOO_LARGE, "body does not match its length"));
      return;
    }
    if (last) {
      requestReceived = true;
    }
    if (stage == Stage.FORWARDING || stage == Stage.RESPONDING) {
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
      return;
    }
    body.hold(c);
    if (stage == Stage.BUFFERING) {
      if (last || body.heldBytes() > settings.bufferLimit()) {
        proceed();
      }
    } else if (body.holdingTooMuch()) {
      client.updateReading();
    }
  }

  /** Whether the client may be read now, as far as this exchange goes. */
  boolean wantsClientBytes() {
    return !body.holdingTooMuch() && (link == null || stage.compareTo(Stage.FORWARDING) < 0 || link.isWritable());
  }

  // ---- attempts ----------------------------------------------------------------------------------

  private void dispatch(Backend b) {
    attempts.begin(b);
    requestSent = false;
    stage = Stage.CONNECTING;
    LoopContext loop = client.loop;
    if (b.speaksHttp2()) {
      Http2Link stream = loop.stream(b, this, proxy.rewriter.servedByLowerCase());
      link = stream;
      // linkReady, or onBackendClosed, comes when the stream is (or cannot be) open: maybe at once.
      stream.open();
      return;
    }
    Http1Link idle = loop.acquire(b);
    if (idle != null) {
      link = idle;
      idle.owner = this;
      writeHeadAndPending(!client.inRead);
      return;
    }
    Http1Link fresh = new Http1Link(b, loop, proxy.rewriter.servedByLowerCase());
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
        if (next == null) {
          next = attempts.pick(this);
        }
        if (next != null) {
          dispatch(next);
        } else {
          finishWithFailure(ProxyFailure.NO_BACKEND);
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
    l.expect(request.method() == HttpMethod.HEAD, !client.http2Stream && clientVersion == HttpVersion.HTTP_1_1);
    l.writeHead(this);
    stage = Stage.FORWARDING;
    if (body.writeHeld(l) || requestHasNoBody()) {
      markRequestSent();
    }
    if (flush) {
      l.flush();
    }
    client.updateReading();
  }

  private void markRequestSent() {
    requestSent = true;
    if (stage == Stage.FORWARDING) {
      long now = proxy.clock.nanos();
      long perTry = settings.perTry().enabled() && attempts.mayRetry() && body.replayable()
          ? settings.perTryNanos(attempts.backend(), now) : 0;
      timers.awaitResponse(now, grpc.boundedTimeout(settings.responseTimeoutNanos(), now), perTry);
    }
  }

  // ---- the response comes back -------------------------------------------------------------------

  void onResponseHead(BackendLink l, ResponseHead head) {
    if (l != link) {
      return;
    }
    l.backend.stats().responded(proxy.clock.nanos());
    int code = head.status;
    if (code == 101) {
      if (upgradeRequested && l instanceof Http1Link h1) {
        switchToTunnel(h1, head);
      } else {
        attemptFailed(ProxyFailure.BAD_RESPONSE);
      }
      return;
    }
    if (code < 200) {
      // Interim: pass it on and keep waiting for the real response.
      client.response.interim(head);
      return;
    }
    timers.stopAwaiting();
    if (head.otherCodings && (client.http2Stream || clientVersion == HttpVersion.HTTP_1_0)
        && request.method() != HttpMethod.HEAD && code != 204 && code != 304) {
      // A body in a transfer coding (gzip, say) that stc does not undo, for a client that cannot be
      // told of it: HTTP/2 has no transfer codings, HTTP/1.0 none but the close (RFC 9112 6.1).
      attemptFailed(ProxyFailure.BAD_RESPONSE);
      return;
    }
    if (grpc.refusedUnavailable(head, l.headEndedStream) && retryUnavailable(l)) {
      return;
    }
    grpc.headForwarded(head);
    status = code;
    stage = Stage.RESPONDING;
    backendKeepAlive = head.keepAlive();
    boolean keep = keepAlive && requestReceived && !proxy.draining;
    Backend b = attempts.backend();
    String cookie = proxy.steps.responseCookie(this, b);
    keepAlive = client.response.head(
        head, clientVersion == HttpVersion.HTTP_1_0, keep, request.method() != HttpMethod.HEAD, b.id(), cookie);
  }

  /**
   * A backend answered a gRPC call UNAVAILABLE before any response (trailers-only): the call goes
   * to another backend when the retries and its body allow; false (the answer goes to the client)
   * otherwise.
   */
  private boolean retryUnavailable(BackendLink l) {
    if (!attempts.mayRetry() || !body.replayable()) {
      return false;
    }
    attempts.end(true, settings.count5xx(), true);
    grpc.countRefused();
    Backend next = attempts.pick(this);
    if (next == null) {
      grpc.settle();
      return false;
    }
    proxy.stats.retry();
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
    client.response.body(piece);
    if (!client.isWritable()) {
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
    } else if (!client.response.join(in, length)) {
      onResponseBody(l, in.readRetainedSlice(length));
    }
  }

  void onResponseEnd(BackendLink l) {
    if (l != link) {
      return;
    }
    complete(client.response.end(l.trailers()));
  }

  void onBadResponse(BackendLink l) {
    if (l != link) {
      return;
    }
    if (stage == Stage.RESPONDING && client.response.holdsUnwrittenHead()) {
      // Nothing of this response has reached the client yet: fail the attempt like a bad head (a
      // retry or a clean 502) instead of cutting the connection.
      client.response.discard();
      stage = Stage.FORWARDING;
      status = 0;
    }
    if (stage == Stage.RESPONDING) {
      abortMidResponse(ProxyFailure.BACKEND_CLOSED);
    } else {
      attemptFailed(ProxyFailure.BAD_RESPONSE);
    }
  }

  void onBackendClosed(BackendLink l) {
    if (l != link) {
      return;
    }
    if (stage == Stage.RESPONDING) {
      abortMidResponse(ProxyFailure.BACKEND_CLOSED);
    } else {
      attemptFailed(l.channel == null ? ProxyFailure.CONNECT_FAILED : ProxyFailure.BACKEND_CLOSED);
    }
  }

  void flushToClient() {
    client.response.flush();
  }

  void backendWritabilityChanged() {
    if (link != null && link.isWritable()) {
      timers.backendUnstalled();
    }
    client.updateReading();
  }

  /** The client became writable again: the backend may be read again. */
  void clientWritable() {
    timers.clientUnstalled();
    if (link != null && link.channel != null && stage == Stage.RESPONDING) {
      link.reading(true);
    }
  }

  /** Flushes what the client sent on to the backend, at the end of a client read. */
  void flushToBackend() {
    if (link != null && link.channel != null && stage.compareTo(Stage.FORWARDING) >= 0 && stage != Stage.TUNNEL) {
      link.flush();
    }
  }

  /**
   * The backend agreed to switch protocols: pass its 101 on and hand both connections to a tunnel
   * that relays bytes until either side closes. The exchange counts against the backend until then.
   */
  private void switchToTunnel(Http1Link l, ResponseHead head) {
    timers.stopAwaiting();
    status = 101;
    stage = Stage.TUNNEL;
    client.response.switching(head, attempts.backend().id());
    link = null;
    Tunnel t = new Tunnel(proxy, attempts.backend(), client.ctx.channel(), l.channel, this::tunnelEnded);
    l.switchTo(t);
    client.becomeTunnel(t);
  }

  private void tunnelEnded() {
    attempts.end(false, false, true);
    end();
  }

  // ---- deadlines ---------------------------------------------------------------------------------

  /**
   * The per-try deadline passed. If the backend answered nothing since the attempt began while
   * another backend the request could go to did, it looks hung (stopped, deadlocked, cut off): the
   * request goes elsewhere now rather than at the response timeout. A backend that keeps answering
   * others is merely slow for this request, and a retry would not be faster.
   */
  @Override
  public void attemptDeadlinePassed() {
    if (stage == Stage.FORWARDING && link != null && attempts.currentLooksHung()) {
      attemptFailed(ProxyFailure.ATTEMPT_TIMEOUT);
    }
  }

  @Override
  public void responseDeadlinePassed() {
    if (stage != Stage.FORWARDING || link == null) {
      return;
    }
    BackendLink l = link;
    link = null;
    l.close();
    attempts.end(true, true, true);
    finishWithFailure(ProxyFailure.RESPONSE_TIMEOUT);
  }

  @Override
  public long bodyStalledNanos(long nowNanos) {
    if (request == null || requestReceived || stage == Stage.TUNNEL) {
      return -1;
    }
    if (!client.reading) {
      // The proxy stopped reading (back-pressure, a queue): that gap is not the client's.
      lastBodyNanos = nowNanos;
    }
    return nowNanos - lastBodyNanos;
  }

  /** A body that stalls: 408, and the backend link (holding half a request) is never reused. */
  @Override
  public void bodyDeadlinePassed() {
    clientFailed(ProxyFailure.BODY_TIMEOUT);
  }

  @Override
  public boolean clientStalls() {
    return request != null && stage == Stage.RESPONDING && !client.isWritable();
  }

  @Override
  public boolean backendStalls() {
    return request != null && link != null && !requestSent && stage.compareTo(Stage.FORWARDING) >= 0 && stage != Stage.TUNNEL
        && !link.isWritable();
  }

  /**
   * A peer took none of what stc had for it for the send timeout. The backend, of the request
   * body: a 504 (as for a response that never comes), the attempt counted against it; when its
   * response has begun, the client cannot be given another answer and loses its connection. The
   * client, of the response: both connections go (an HTTP/2 stream is reset), so a client that
   * stops reading cannot hold a backend and its place there.
   */
  @Override
  public void sendDeadlinePassed(boolean backend) {
    if (!backend) {
      clientFailed(ProxyFailure.SEND_TIMEOUT);
    } else if (stage == Stage.RESPONDING) {
      abortMidResponse(ProxyFailure.BACKEND_SEND_TIMEOUT);
    } else {
      keepAlive = false;
      attemptFailed(ProxyFailure.BACKEND_SEND_TIMEOUT);
    }
  }

  // ---- ending ------------------------------------------------------------------------------------

  private void complete(ChannelFuture lastWrite) {
    BackendLink l = link;
    // A gRPC call's outcome is in its trailers (or a trailers-only head), whatever the HTTP status.
    boolean failed = grpc.endedInFailure(l.trailers()) || status >= 500;
    if (!grpc.settled()) {
      attempts.end(failed, failed && settings.count5xx(), true);
    }
    link = null;
    l.release(backendKeepAlive && requestSent);
    boolean unreadBody = !requestReceived;
    boolean close = !keepAlive || unreadBody;
    end();
    if (close) {
      // An answer that came before the request's body ended (a backend's early 401 or 413): the
      // client may still be sending it, and a close now would reset the connection under it.
      lastWrite.addListener(f -> client.closeAfterAnswer(unreadBody));
      return;
    }
    client.processQueued();
  }

  private void attemptFailed(ProxyFailure failure) {
    timers.stopAwaiting();
    BackendLink l = link;
    link = null;
    boolean afterSend = stage.compareTo(Stage.FORWARDING) >= 0;
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
    if (retryable) {
      Backend next = attempts.pick(this);
      if (next == null && again) {
        // Nothing else to try, but the backend never acted on it: the same one may take it now.
        next = attempts.pickSameAgain();
      }
      if (next != null) {
        proxy.stats.retry();
        if (afterSend) {
          body.rewind();
        }
        dispatch(next);
        return;
      }
    }
    answerFailure(failure);
  }

  void finishWithFailure(ProxyFailure failure) {
    proxy.stats.failure(failure);
    answerFailure(failure);
  }

  private void answerFailure(ProxyFailure failure) {
    status = failure.status().code();
    // A malformed request poisons the connection; a rate-limited one does not.
    boolean close = !keepAlive || !requestReceived || (failure.isClientError() && failure != ProxyFailure.RATE_LIMITED);
    FullHttpResponse r;
    if (grpc.active()) {
      r = grpc.answer(failure, close && !client.http2Stream);
    } else {
      r = failure.response(retryAfterSeconds, close, clientVersion == HttpVersion.HTTP_1_0, request.method() == HttpMethod.HEAD);
    }
    ChannelFuture w = client.response.answer(r);
    boolean unreadBody = !requestReceived;
    end();
    if (close) {
      w.addListener(f -> client.closeAfterAnswer(unreadBody));
    } else {
      client.processQueued();
    }
  }

  /** A request (or the body of one in progress) was malformed: nothing more can be trusted on this connection. */
  void rejectMalformed(Throwable cause) {
    ProxyFailure failure = ProxyFailure.ofMalformed(cause);
    if (request != null) {
      clientFailed(failure);
      return;
    }
    proxy.stats.requestStarted();
    clientVersion = HttpVersion.HTTP_1_1;
    keepAlive = false;
    requestReceived = false;
    request = MALFORMED;
    stage = Stage.BUFFERING;
    startNanos = proxy.clock.nanos();
    // Not a call, whatever the exchange's last request was: the answer is plain HTTP.
    grpc.start(MALFORMED.headers(), startNanos);
    finishWithFailure(failure);
  }

  /**
   * The client broke off its side (a malformed or stalled body, a response it does not take): the
   * attempt ends without a verdict on the backend, and the client gets its answer if none began,
   * else loses its connection (the rest of its request cannot be trusted or waited for).
   */
  private void clientFailed(ProxyFailure failure) {
    if (queuePlace != null) {
      queuePlace.leave();
    }
    dropAttempt();
    if (stage == Stage.RESPONDING) {
      proxy.stats.failure(failure);
      end();
      client.close();
      return;
    }
    requestReceived = false;
    keepAlive = false;
    finishWithFailure(failure);
  }

  /** The response began but the backend failed it: the client must see a broken connection, not a short body. */
  private void abortMidResponse(ProxyFailure failure) {
    timers.stopAwaiting();
    attempts.end(true, true, true);
    proxy.stats.failure(failure);
    BackendLink l = link;
    link = null;
    if (l != null) {
      l.close();
    }
    if (grpc.active() && client.http2Stream) {
      // A gRPC stream ends with a status its caller can act on (UNAVAILABLE: try again), not a reset.
      client.response.end(grpc.brokenOffTrailers(failure));
      end();
      return;
    }
    boolean untilClose = client.response.delimitedByClose();
    end();
    if (untilClose) {
      client.reset();
    } else {
      client.close();
    }
  }

  /** The client connection closed: whatever is in progress is abandoned. */
  void clientClosed() {
    abandon();
    timers.cancelAll();
  }

  /**
   * The client's HTTP/2 stream closed and this exchange will serve the connection's next stream:
   * whatever is in progress is abandoned, and the timers stay armed to lapse or be reused, as
   * between the requests of an HTTP/1.1 connection.
   */
  void streamClosed() {
    abandon();
    timers.stopAwaiting();
  }

  private void abandon() {
    if (queuePlace != null) {
      queuePlace.leave();
    }
    if (request != null && stage != Stage.TUNNEL) {
      dropAttempt();
      proxy.stats.clientAborted();
      end();
    }
  }

  /** Lets the backend link go, closed, and ends the attempt without a verdict on the backend (the client was at fault or gone). */
  private void dropAttempt() {
    if (link != null) {
      BackendLink l = link;
      link = null;
      l.close();
      attempts.end(false, false, false);
    }
  }

  private void end() {
    timers.exchangeEnded();
    client.response.discard();
    proxy.stats.requestEnded(status);
    long now = proxy.clock.nanos();
    ExchangeListener listener = proxy.listener;
    if (listener != null) {
      listener.exchangeEnded(request.method().name(), request.uri(), client.clientIp, attempts.backend(), status, now - startNanos);
    }
    body.clear();
    request = null;
    stage = Stage.IDLE;
    attempts.clear();
    client.timeouts.exchangeEnded(now);
  }

  void retryAfter(long seconds) {
    this.retryAfterSeconds = seconds;
  }

  private static boolean isIdempotent(HttpMethod m) {
    return m == HttpMethod.GET
        || m == HttpMethod.HEAD
        || m == HttpMethod.PUT
        || m == HttpMethod.DELETE
        || m == HttpMethod.OPTIONS
        || m == HttpMethod.TRACE;
  }

  // ---- what links and steps may ask ------------------------------------------------------------

  String scheme() {
    return client.scheme;
  }

  boolean fromHttp2() {
    return client.http2Stream;
  }

  @Override
  public String clientIp() {
    return client.clientIp;
  }

  @Override
  public String header(String name) {
    return request == null ? null : request.headers().get(name);
  }

  @Override
  public String cookie(String name) {
    if (request == null) {
      return null;
    }
    for (String header : request.headers().getAll(HttpHeaderNames.COOKIE)) {
      for (Cookie c : ServerCookieDecoder.LAX.decode(header)) {
        if (c.name().equals(name)) {
          return c.value();
        }
      }
    }
    return null;
  }
}
