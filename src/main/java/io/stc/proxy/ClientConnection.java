package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.stc.balance.Request;
import io.stc.limit.RateLimiter;
import io.stc.session.StickySessions;
import io.stc.pool.Backend;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One client connection and the exchange in progress on it: picks a backend, forwards the request
 * as it streams in, streams the response back, and retries elsewhere when that is safe.
 *
 * <p>Everything here runs on the connection's event loop, which is also the loop of every backend
 * connection it uses, so no field needs synchronisation.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter implements Request {
  /** Pipelined messages buffered before the client stops being read. */
  private static final int QUEUE_LIMIT = 32;

  private final ProxyServer proxy;
  private final ClientTimeouts timeouts;
  private final String scheme;
  /** An HTTP/2 stream converted to HTTP/1.1 objects, rather than an HTTP/1.x connection. */
  private final boolean http2Stream;
  private final Attempts attempts;
  private final RequestBody body = new RequestBody();
  private final ArrayDeque<Object> queued = new ArrayDeque<>(4);
  private final Runnable timeoutTask = this::onResponseTimeout;
  private final Runnable bodyTimeoutTask = this::onBodyTimeout;
  /** Over a connection limit: every request is answered 503 and the connection closes. */
  private final boolean refused;
  private ChannelHandlerContext ctx;
  /** Set up when the proxy has a request queue. */
  private QueuePlace queuePlace;
  private ResponseWriter response;
  private LoopContext loop;
  private String clientIp;
  private boolean reading = true;
  private boolean inRead;

  // The exchange in progress; request is null between exchanges.
  private HttpRequest request;
  private HttpVersion clientVersion;
  private boolean keepAlive;
  private boolean idempotent;
  private boolean requestReceived;
  private long startNanos;
  private BackendConnection conn;
  private boolean headSent;
  private boolean requestSent;
  private boolean responseStarted;
  private boolean backendKeepAlive;
  private int status;
  // One lazily re-armed timer per connection instead of one per request: no allocation per request.
  private ScheduledFuture<?> timer;
  /** When {@link #timer} fires. */
  private long timerAt;
  private long responseDeadline;
  /** When the current attempt counts as hung if its backend answered nothing meanwhile; 0 for never. */
  private long attemptDeadline;
  /** The request body is being read whole before a backend is picked. */
  private boolean buffering;
  /** The proxy answered the client's 100-continue itself (while buffering), so Expect stays here. */
  private boolean answeredExpect;
  private long lastBodyNanos;
  private ScheduledFuture<?> bodyTimer;
  private boolean awaitingResponse;
  private long retryAfterSeconds;
  /** The request asks to switch to WebSocket; its Upgrade and Connection headers go through. */
  private boolean upgradeRequested;
  /** Switched: bytes are relayed both ways untouched until either side closes. */
  private boolean tunnel;

  ClientConnection(ProxyServer proxy, ClientTimeouts timeouts, String scheme, boolean http2Stream, boolean refused) {
    this.proxy = proxy;
    this.refused = refused;
    this.timeouts = timeouts;
    this.scheme = scheme;
    this.http2Stream = http2Stream;
    this.attempts = new Attempts(proxy);
  }

  // ---- client side ------------------------------------------------------------------------

  // Set up when added, not when active: after TLS and ALPN the channel is active already.
  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.response = new ResponseWriter(ctx, proxy.rewriter, http2Stream);
    this.loop = proxy.loopContext(ctx.channel().eventLoop());
    if (proxy.queue != null) {
      this.queuePlace = new QueuePlace(proxy, loop.loop, () -> attempts.pick(this), this::dispatch, this::finishWithFailure);
    }
    java.net.SocketAddress address = ctx.channel().remoteAddress();
    this.clientIp = address instanceof InetSocketAddress remote ? remote.getAddress().getHostAddress() : "unknown";
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    inRead = true;
    if (tunnel) {
      if (conn != null) {
        conn.channel.write(msg);
        if (!conn.channel.isWritable()) {
          updateClientReading();
        }
      } else {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    if (request != null && (requestReceived || !queued.isEmpty())) {
      // Pipelined: the next request waits until this response is done.
      queued.add(msg);
      updateClientReading();
      return;
    }
    handleInbound(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    inRead = false;
    if (conn != null && headSent) {
      conn.channel.flush();
    }
  }

  private void handleInbound(Object msg) {
    if (msg instanceof HttpRequest req) {
      if (req.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        rejectMalformed(req.decoderResult().cause());
        return;
      }
      if (!http2Stream && !refused && msg instanceof FullHttpRequest full && proxy.pipelines.upgrade(ctx, full)) {
        // Now an HTTP/2 connection: this request is its stream 1, and this handler is gone.
        full.release();
        return;
      }
      startExchange(req);
      if (msg instanceof HttpContent c && request == req) {
        onRequestContent(c);
      } else {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    if (msg instanceof HttpContent c) {
      if (c.decoderResult().isFailure()) {
        c.release();
        rejectMalformed(c.decoderResult().cause());
      } else if (request != null && !requestReceived) {
        onRequestContent(c);
      } else {
        // The rest of a request already answered (and about to be closed).
        c.release();
      }
      return;
    }
    ReferenceCountUtil.release(msg);
  }

  private void startExchange(HttpRequest req) {
    timeouts.headReceived();
    request = req;
    clientVersion = req.protocolVersion();
    keepAlive = HttpUtil.isKeepAlive(req) && !proxy.draining && !refused;
    idempotent = isIdempotent(req.method());
    requestReceived = false;
    responseStarted = false;
    buffering = false;
    answeredExpect = false;
    attempts.clear();
    status = 0;
    startNanos = proxy.clock.nanos();
    proxy.stats.requestStarted();
    if (refused) {
      finishWithFailure(ProxyFailure.CONNECTION_LIMIT);
      return;
    }
    // HTTP/1 requests were checked as they were decoded; HTTP/2 streams are checked here.
    ProxyFailure invalid = http2Stream ? proxy.validator.check(req) : null;
    if (invalid != null) {
      keepAlive = false;
      finishWithFailure(invalid);
      return;
    }
    RateLimiter limiter = proxy.rateLimiter;
    if (limiter != RateLimiter.NONE) {
      long retryAfter = limiter.tryAcquire(this);
      if (retryAfter > 0) {
        this.retryAfterSeconds = retryAfter;
        finishWithFailure(ProxyFailure.RATE_LIMITED);
        return;
      }
    }
    upgradeRequested = !http2Stream && WebSocketUpgrade.isRequested(req);
    boolean chunked = HttpUtil.isTransferEncodingChunked(req);
    long declared = chunked ? -1 : HttpUtil.getContentLength(req, -1L);
    body.start(idempotent && proxy.retries > 0, chunked, declared, proxy.bufferLimit);
    if (!(req instanceof LastHttpContent)) {
      // A body follows: it may not trickle in (slow POST), and a small one is read whole first, so
      // a slow client never holds a backend connection for it (nginx's request buffering).
      lastBodyNanos = startNanos;
      if (bodyTimer == null) {
        bodyTimer = loop.loop.schedule(bodyTimeoutTask, proxy.bodyTimeoutNanos, TimeUnit.NANOSECONDS);
      }
      if (proxy.bufferLimit > 0 && (chunked || (declared >= 0 && declared <= proxy.bufferLimit))) {
        buffering = true;
        if (!http2Stream && clientVersion == HttpVersion.HTTP_1_1 && HttpUtil.is100ContinueExpected(req)) {
          // The body is wanted here and now, not when a backend says so.
          answeredExpect = true;
          ctx.writeAndFlush(Unpooled.wrappedBuffer(CONTINUE));
        }
        return;
      }
    }
    proceed();
  }

  private static final byte[] CONTINUE = ResponseHead.ascii("HTTP/1.1 100 Continue\r\n\r\n");

  /** Picks a backend and sends the request to it, or queues it for one, or answers that there is none. */
  private void proceed() {
    if (proxy.queue != null && proxy.queue.hasWaiters()) {
      // Others are already waiting for room: no overtaking.
      queuePlace.join();
      return;
    }
    Backend b = attempts.pick(this);
    if (b != null) {
      dispatch(b);
    } else if (proxy.queue != null && (proxy.queueWhenEmpty || proxy.upstream.pool().availableCount() > 0)) {
      queuePlace.join();
    } else {
      finishWithFailure(ProxyFailure.NO_BACKEND);
    }
  }

  private void onRequestContent(HttpContent c) {
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
    if (conn != null && headSent) {
      body.write(conn.channel, c);
      if (last) {
        markRequestSent();
      }
      if (!conn.channel.isWritable()) {
        updateClientReading();
      }
    } else {
      body.hold(c);
      if (buffering) {
        if (last || body.heldBytes() > proxy.bufferLimit) {
          buffering = false;
          proceed();
        }
      } else if (body.holdingTooMuch()) {
        updateClientReading();
      }
    }
  }

  private void onBodyTimeout() {
    bodyTimer = null;
    if (request == null || requestReceived || tunnel) {
      return; // lapses; the next body arms it again
    }
    long now = proxy.clock.nanos();
    if (!reading) {
      // The proxy stopped reading (back-pressure, a queue): that gap is not the client's.
      lastBodyNanos = now;
    }
    long left = lastBodyNanos + proxy.bodyTimeoutNanos - now;
    if (left > 0) {
      bodyTimer = loop.loop.schedule(bodyTimeoutTask, left, TimeUnit.NANOSECONDS);
      return;
    }
    // A body that stalls: 408, and the backend connection (holding half a request) is never reused.
    if (queuePlace != null) {
      queuePlace.leave();
    }
    if (conn != null) {
      BackendConnection c = conn;
      conn = null;
      c.close();
      attempts.end(false, false, false);
    }
    if (responseStarted) {
      proxy.stats.failure(ProxyFailure.BODY_TIMEOUT);
      endExchange();
      ctx.close();
      return;
    }
    keepAlive = false;
    finishWithFailure(ProxyFailure.BODY_TIMEOUT);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (conn != null && ctx.channel().isWritable() && !conn.channel.config().isAutoRead()) {
      conn.channel.config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Resets and broken pipes from clients are routine; the close below tidies up.
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (queuePlace != null) {
      queuePlace.leave();
    }
    if (request != null) {
      if (conn != null) {
        BackendConnection c = conn;
        conn = null;
        c.close();
        attempts.end(false, false, tunnel);
      }
      if (!tunnel) {
        proxy.stats.clientAborted();
      }
      endExchange();
    }
    while (!queued.isEmpty()) {
      ReferenceCountUtil.release(queued.poll());
    }
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    if (bodyTimer != null) {
      bodyTimer.cancel(false);
      bodyTimer = null;
    }
    ctx.fireChannelInactive();
  }

  /** From any thread: if this is a WebSocket tunnel to {@code b}, close it politely (1001 to each side). */
  void goAwayIfTunnelTo(Backend b) {
    loop.loop.execute(() -> {
      if (tunnel && attempts.backend() == b) {
        closeIfIdle();
      }
    });
  }

  /** Closes the connection if no exchange is in progress, and WebSockets politely: for shutdown. */
  void closeIfIdle() {
    if (ctx == null) {
      return;
    }
    if (tunnel) {
      BackendConnection c = conn;
      if (c != null) {
        c.channel.writeAndFlush(WebSocketUpgrade.goingAwayFrame(true)).addListener(ChannelFutureListener.CLOSE);
      }
      ctx.writeAndFlush(WebSocketUpgrade.goingAwayFrame(false)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    if (request == null) {
      ctx.close();
    }
  }

  /**
   * The backend agreed to switch protocols: pass its 101 on, drop the HTTP codecs on both sides and
   * relay bytes from now on. The exchange stays in flight (it counts against the backend) until
   * either side closes.
   */
  private void switchToTunnel(ResponseHead head) {
    cancelTimeout();
    status = 101;
    responseStarted = true;
    tunnel = true;
    proxy.tunnels.add(this);
    response.switching(head, attempts.backend().id());
    // Anything the client decoder buffered comes out as raw bytes when it is removed.
    ctx.pipeline().remove("codec");
    ctx.flush();
    conn.channel.flush();
  }

  /** Stops or resumes reading the client, so neither buffers nor pipelined requests grow without bound. */
  void updateClientReading() {
    boolean want =
        queued.size() < QUEUE_LIMIT
            && !body.holdingTooMuch()
            && (conn == null || !headSent || conn.channel.isWritable());
    if (want != reading && ctx != null) {
      reading = want;
      ctx.channel().config().setAutoRead(want);
    }
  }

  void flushToClient() {
    response.flush();
  }

  // ---- backend side -----------------------------------------------------------------------

  private void dispatch(Backend b) {
    attempts.begin(b);
    headSent = false;
    requestSent = false;
    BackendConnection c = loop.acquire(b);
    if (c != null) {
      conn = c;
      c.owner = this;
      writeHeadAndPending(!inRead);
      return;
    }
    BackendConnection fresh = new BackendConnection(b, loop, proxy.rewriter.servedByLowerCase());
    conn = fresh;
    fresh.owner = this;
    loop.connect(fresh).addListener((ChannelFuture f) -> onConnected(fresh, f));
  }

  private void onConnected(BackendConnection c, ChannelFuture f) {
    if (conn != c) {
      // The exchange moved on (client gone, or answered) while we were connecting.
      if (f.isSuccess()) {
        f.channel().close();
      }
      return;
    }
    if (!f.isSuccess()) {
      conn = null;
      c.owner = null;
      proxy.passiveHealth.connectFailed(attempts.backend(), f.cause());
      attemptFailed(ProxyFailure.CONNECT_FAILED);
      return;
    }
    c.channel = f.channel();
    writeHeadAndPending(true);
  }

  private void writeHeadAndPending(boolean flush) {
    BackendConnection c = conn;
    c.reader.expect(request.method() == HttpMethod.HEAD, !http2Stream && clientVersion == HttpVersion.HTTP_1_1);
    ByteBuf head = c.channel.alloc().buffer(256);
    RequestHeadWriter.write(head, request, clientIp, scheme, http2Stream, upgradeRequested, answeredExpect, c.backend);
    // Nothing waits for this write; a failure closes the backend connection, which retries or answers.
    c.channel.write(head, c.channel.voidPromise());
    headSent = true;
    if (body.writeHeld(c.channel)) {
      markRequestSent();
    }
    if (flush) {
      c.channel.flush();
    }
    updateClientReading();
  }

  private void markRequestSent() {
    requestSent = true;
    if (!responseStarted) {
      awaitingResponse = true;
      long now = proxy.clock.nanos();
      responseDeadline = now + proxy.responseTimeoutNanos;
      attemptDeadline = 0;
      if (proxy.perTryEnabled() && attempts.mayRetry() && body.replayable()) {
        long perTry = proxy.perTryNanos(attempts.backend(), now);
        if (perTry > 0 && perTry < proxy.responseTimeoutNanos) {
          attemptDeadline = now + perTry;
        }
      }
      long first = attemptDeadline != 0 ? attemptDeadline : responseDeadline;
      // The timer is re-armed lazily when it fires early; only a sooner deadline moves it.
      if (timer == null || first < timerAt) {
        if (timer != null) {
          timer.cancel(false);
        }
        timerAt = first;
        timer = loop.loop.schedule(timeoutTask, first - now, TimeUnit.NANOSECONDS);
      }
    }
  }

  void onResponseHead(BackendConnection c, ResponseHead head) {
    if (c != conn) {
      return;
    }
    c.backend.stats().responded(proxy.clock.nanos());
    int code = head.status;
    if (code == 101) {
      if (upgradeRequested) {
        switchToTunnel(head);
      } else {
        attemptFailed(ProxyFailure.BAD_RESPONSE);
      }
      return;
    }
    if (code < 200) {
      // Interim: pass it on and keep waiting for the real response.
      response.interim(head);
      return;
    }
    cancelTimeout();
    status = code;
    responseStarted = true;
    backendKeepAlive = head.keepAlive();
    boolean keep = keepAlive && requestReceived && !proxy.draining;
    Backend b = attempts.backend();
    String cookie = proxy.sticky == StickySessions.NONE ? null : proxy.sticky.pin(this, b, attempts.pinned());
    keepAlive =
        response.head(
            head, clientVersion == HttpVersion.HTTP_1_0, keep, request.method() != HttpMethod.HEAD, b.id(), cookie);
  }

  void onResponseBody(BackendConnection c, ByteBuf piece) {
    if (c != conn) {
      piece.release();
      return;
    }
    if (tunnel) {
      ctx.write(piece);
    } else {
      response.body(piece);
    }
    if (!ctx.channel().isWritable()) {
      // Download back-pressure: stop reading the backend until the client catches up.
      c.channel.config().setAutoRead(false);
    }
  }

  /** The next {@code length} bytes of {@code in} are body (never tunnel bytes); read here. */
  void onResponseBody(BackendConnection c, ByteBuf in, int length) {
    if (c != conn) {
      in.skipBytes(length);
    } else if (!response.join(in, length)) {
      onResponseBody(c, in.readRetainedSlice(length));
    }
  }

  void onResponseEnd(BackendConnection c) {
    if (c != conn) {
      return;
    }
    completeExchange(response.end(c.reader.trailers()));
  }

  void onBadResponse(BackendConnection c) {
    if (c != conn) {
      return;
    }
    if (responseStarted && response.holdsUnwrittenHead()) {
      // Nothing of this response has reached the client yet: fail the attempt like a bad head (a
      // retry or a clean 502) instead of cutting the connection.
      response.discard();
      responseStarted = false;
      status = 0;
    }
    if (responseStarted) {
      abortMidResponse();
    } else {
      attemptFailed(ProxyFailure.BAD_RESPONSE);
    }
  }

  void onBackendClosed(BackendConnection c) {
    if (c != conn) {
      return;
    }
    if (tunnel) {
      // The backend ended the WebSocket: so does the client, after what was relayed.
      conn = null;
      attempts.end(false, false, true);
      endExchange();
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    if (responseStarted) {
      abortMidResponse();
    } else {
      attemptFailed(ProxyFailure.BACKEND_CLOSED);
    }
  }

  private void onResponseTimeout() {
    timer = null;
    if (!awaitingResponse || request == null || responseStarted || conn == null) {
      return;
    }
    long now = proxy.clock.nanos();
    if (attemptDeadline != 0 && now - attemptDeadline >= 0) {
      attemptDeadline = 0;
      if (looksHung()) {
        // Stopped, deadlocked or cut off: go elsewhere now rather than at the response timeout.
        attemptFailed(ProxyFailure.ATTEMPT_TIMEOUT);
        return;
      }
    }
    long next = attemptDeadline != 0 ? Math.min(attemptDeadline, responseDeadline) : responseDeadline;
    long left = next - now;
    if (left > 0) {
      timerAt = next;
      timer = loop.loop.schedule(timeoutTask, left, TimeUnit.NANOSECONDS);
      return;
    }
    awaitingResponse = false;
    BackendConnection c = conn;
    conn = null;
    c.close();
    attempts.end(true, true, true);
    finishWithFailure(ProxyFailure.RESPONSE_TIMEOUT);
  }

  /**
   * Whether the current attempt's backend looks hung rather than slow: it answered nothing since
   * the attempt began, while another backend the request could go to did. A backend that keeps
   * answering others is merely slow for this request, and a retry would not be faster.
   */
  private boolean looksHung() {
    long since = attempts.startNanos();
    Backend b = attempts.backend();
    long answered = b.stats().lastResponseNanos();
    if (answered != 0 && answered - since > 0) {
      return false;
    }
    for (Backend other : proxy.upstream.pool().available()) {
      long otherAnswered = other.stats().lastResponseNanos();
      if (other != b && !attempts.wasTried(other) && otherAnswered != 0 && otherAnswered - since > 0) {
        return true;
      }
    }
    return false;
  }

  // ---- ending an exchange -----------------------------------------------------------------

  private void completeExchange(ChannelFuture lastWrite) {
    attempts.end(status >= 500, status >= 500 && proxy.count5xx, true);
    BackendConnection c = conn;
    conn = null;
    if (backendKeepAlive && requestSent && c.channel.isActive() && !c.reader.hasLeftover()) {
      loop.release(c);
    } else {
      c.close();
    }
    boolean close = !keepAlive || !requestReceived;
    endExchange();
    if (close) {
      lastWrite.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    processQueued();
  }

  private void attemptFailed(ProxyFailure failure) {
    cancelTimeout();
    attempts.end(true, true, true);
    proxy.stats.failure(failure);
    BackendConnection c = conn;
    conn = null;
    if (c != null) {
      c.close();
    }
    boolean afterSend = headSent;
    boolean retryable = attempts.mayRetry() && (!afterSend || (idempotent && body.replayable()));
    if (retryable) {
      Backend next = attempts.pick(this);
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

  private void finishWithFailure(ProxyFailure failure) {
    proxy.stats.failure(failure);
    answerFailure(failure);
  }

  private void answerFailure(ProxyFailure failure) {
    status = failure.status().code();
    // A malformed request poisons the connection; a rate-limited one does not.
    boolean close = !keepAlive || !requestReceived || (failure.isClientError() && failure != ProxyFailure.RATE_LIMITED);
    FullHttpResponse r = failure.response(retryAfterSeconds, close, clientVersion == HttpVersion.HTTP_1_0);
    ChannelFuture w = response.answer(r);
    if (refused && http2Stream) {
      // Over a connection limit: GOAWAY once this stream's answer is out (the codec waits for it).
      w.addListener(f -> ctx.channel().parent().close());
    }
    boolean unreadBody = !requestReceived;
    endExchange();
    if (close) {
      w.addListener(f -> lingeringClose(unreadBody));
    } else {
      processQueued();
    }
  }

  private void rejectMalformed(Throwable cause) {
    ProxyFailure failure = ProxyFailure.ofMalformed(cause);
    if (request != null) {
      // The body of a request in progress was malformed: nothing more can be trusted on this connection.
      if (conn != null) {
        BackendConnection c = conn;
        conn = null;
        c.close();
        attempts.end(false, false, false);
      }
      if (responseStarted) {
        proxy.stats.failure(failure);
        endExchange();
        ctx.close();
        return;
      }
      requestReceived = false;
      finishWithFailure(failure);
      return;
    }
    proxy.stats.requestStarted();
    clientVersion = HttpVersion.HTTP_1_1;
    keepAlive = false;
    requestReceived = false;
    request = MALFORMED;
    finishWithFailure(failure);
  }

  /** Stands in for a request that could not be parsed, so the exchange bookkeeping stays uniform. */
  private static final HttpRequest MALFORMED = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");

  /**
   * Closes after an error answer. When the client may still be sending a body, closing at once
   * would make the kernel reset the connection and the client could lose the answer; so stop
   * writing, keep reading (and discarding) for a moment, then close (nginx's lingering close).
   */
  private void lingeringClose(boolean unreadBody) {
    Channel ch = ctx.channel();
    if (!unreadBody || !(ch instanceof DuplexChannel duplex) || !ch.isActive()) {
      ch.close();
      return;
    }
    if (!reading) {
      reading = true;
      ch.config().setAutoRead(true);
    }
    duplex.shutdownOutput().addListener(f -> ch.eventLoop().schedule(() -> ch.close(), 2, TimeUnit.SECONDS));
  }

  /** The response began but cannot be finished: the client must see a broken connection, not a short body. */
  private void abortMidResponse() {
    cancelTimeout();
    attempts.end(true, true, true);
    proxy.stats.failure(ProxyFailure.BACKEND_CLOSED);
    BackendConnection c = conn;
    conn = null;
    if (c != null) {
      c.close();
    }
    endExchange();
    ctx.close();
  }

  private void endExchange() {
    cancelTimeout();
    response.discard();
    if (tunnel) {
      proxy.tunnels.remove(this);
    }
    proxy.stats.requestEnded(status);
    long now = proxy.clock.nanos();
    ExchangeListener listener = proxy.listener;
    if (listener != null) {
      listener.exchangeEnded(request.method().name(), request.uri(), clientIp, attempts.backend(), status, now - startNanos);
    }
    body.clear();
    request = null;
    attempts.clear();
    timeouts.exchangeEnded(now);
  }

  private void processQueued() {
    while (!queued.isEmpty() && (request == null || !requestReceived)) {
      handleInbound(queued.poll());
    }
    if (conn != null && headSent) {
      conn.channel.flush();
    }
    updateClientReading();
  }

  private void cancelTimeout() {
    // The timer stays armed; it re-arms or lapses when it fires.
    awaitingResponse = false;
  }

  private static boolean isIdempotent(HttpMethod m) {
    return m == HttpMethod.GET
        || m == HttpMethod.HEAD
        || m == HttpMethod.PUT
        || m == HttpMethod.DELETE
        || m == HttpMethod.OPTIONS
        || m == HttpMethod.TRACE;
  }

  // ---- what balancers may ask -------------------------------------------------------------

  @Override
  public String clientIp() {
    return clientIp;
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
