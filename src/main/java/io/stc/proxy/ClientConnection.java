package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.stc.balance.Balancer;
import io.stc.balance.Request;
import io.stc.health.CircuitBreaker;
import io.stc.limit.RateLimiter;
import io.stc.session.StickySessions;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
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
  /** A response body up to this size that arrives with its head goes out in the same buffer. */
  private static final int JOIN_LIMIT = 4096;

  private final ProxyServer proxy;
  private final ClientTimeouts timeouts;
  private final String scheme;
  /** An HTTP/2 stream converted to HTTP/1.1 objects, rather than an HTTP/1.x connection. */
  private final boolean http2Stream;
  private final Backend[] tried;
  private final RequestBody body = new RequestBody();
  private final ArrayDeque<Object> queued = new ArrayDeque<>(4);
  private final Runnable timeoutTask = this::onResponseTimeout;
  private final Runnable wakeTask = this::onWoken;
  private final Runnable queueTimeoutTask = this::onQueueTimeout;
  private ChannelHandlerContext ctx;
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
  private int attempts;
  private int triedCount;
  private Backend backend;
  /** The breaker that admitted the current attempt, or null. */
  private CircuitBreaker breaker;
  /** The backend the request's sticky session named, when usable; null otherwise. */
  private Backend pinned;
  private BackendConnection conn;
  private long attemptStartNanos;
  private boolean headSent;
  private boolean requestSent;
  private boolean responseStarted;
  /** How the response body is framed for an HTTP/1.x client. */
  private HeaderRewriter.BodyFraming framing;
  private ChannelFuture lastWrite;
  private boolean backendKeepAlive;
  private int status;
  // One lazily re-armed timer per connection instead of one per request: no allocation per request.
  private ScheduledFuture<?> timer;
  private long responseDeadline;
  private boolean awaitingResponse;
  // Waiting in the request queue for a backend with room.
  private boolean waiting;
  private long retryAfterSeconds;
  /** The request asks to switch to WebSocket; its Upgrade and Connection headers go through. */
  private boolean upgradeRequested;
  /** A response head not yet written, so a small body that arrives with it joins it in one write. */
  private ByteBuf unwrittenHead;
  /** Switched: bytes are relayed both ways untouched until either side closes. */
  private boolean tunnel;
  private long queuedSinceNanos;
  private ScheduledFuture<?> queueTimer;

  ClientConnection(ProxyServer proxy, ClientTimeouts timeouts, String scheme, boolean http2Stream) {
    this.proxy = proxy;
    this.timeouts = timeouts;
    this.scheme = scheme;
    this.http2Stream = http2Stream;
    this.tried = new Backend[proxy.retries + 1];
  }

  // ---- client side ------------------------------------------------------------------------

  // Set up when added, not when active: after TLS and ALPN the channel is active already.
  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.loop = proxy.loopContext(ctx.channel().eventLoop());
    java.net.SocketAddress address = ctx.channel().remoteAddress();
    this.clientIp = address instanceof InetSocketAddress remote ? remote.getAddress().getHostAddress() : "unknown";
    proxy.stats.connectionOpened();
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
    keepAlive = HttpUtil.isKeepAlive(req) && !proxy.draining;
    idempotent = isIdempotent(req.method());
    requestReceived = false;
    responseStarted = false;
    attempts = 0;
    triedCount = 0;
    status = 0;
    startNanos = proxy.clock.nanos();
    proxy.stats.requestStarted();
    ProxyFailure invalid = proxy.validator.check(req);
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
    body.start(idempotent && proxy.retries > 0, HttpUtil.isTransferEncodingChunked(req));
    if (proxy.queue != null && proxy.queue.size() > 0) {
      // Others are already waiting for room: no overtaking.
      enqueue();
      return;
    }
    Backend b = pickBackend();
    if (b != null) {
      dispatch(b);
    } else if (proxy.queue != null && (proxy.queueWhenEmpty || proxy.upstream.pool().availableCount() > 0)) {
      enqueue();
    } else {
      finishWithFailure(ProxyFailure.NO_BACKEND);
    }
  }

  private void enqueue() {
    if (!proxy.queue.offer(this)) {
      finishWithFailure(ProxyFailure.QUEUE_FULL);
      return;
    }
    waiting = true;
    queuedSinceNanos = proxy.clock.nanos();
    queueTimer = loop.loop.schedule(queueTimeoutTask, proxy.queueTimeoutNanos, TimeUnit.NANOSECONDS);
    // A slot may have freed between the failed pick and the offer, with nobody to wake.
    proxy.queue.wakeForFree(proxy.freeSlots());
  }

  /** Called on any thread by the queue: continue on this connection's own loop. */
  void wakeFromQueue() {
    loop.loop.execute(wakeTask);
  }

  private void onWoken() {
    proxy.queue.settled();
    if (!waiting) {
      return;
    }
    waiting = false;
    Backend b = pickBackend();
    if (b != null) {
      cancelQueueTimer();
      proxy.stats.dequeued(proxy.clock.nanos() - queuedSinceNanos);
      dispatch(b);
      return;
    }
    if (proxy.upstream.pool().availableCount() == 0 && !proxy.queueWhenEmpty) {
      cancelQueueTimer();
      finishWithFailure(ProxyFailure.NO_BACKEND);
      return;
    }
    // Someone else took the slot: back to the front of the line, for the next one.
    waiting = true;
    proxy.queue.putBack(this);
  }

  private void onQueueTimeout() {
    queueTimer = null;
    if (waiting && proxy.queue.remove(this)) {
      waiting = false;
      finishWithFailure(ProxyFailure.QUEUE_TIMEOUT);
    }
  }

  private void cancelQueueTimer() {
    if (queueTimer != null) {
      queueTimer.cancel(false);
      queueTimer = null;
    }
  }

  private void onRequestContent(HttpContent c) {
    long bodyBytes = body.received(c);
    if (proxy.validator.bodyTooLarge(bodyBytes)) {
      c.release();
      rejectMalformed(new TooLongHttpContentException("body over " + bodyBytes));
      return;
    }
    boolean last = c instanceof LastHttpContent;
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
      if (body.holdingTooMuch()) {
        updateClientReading();
      }
    }
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
    if (waiting) {
      waiting = false;
      proxy.queue.remove(this);
      cancelQueueTimer();
    }
    if (request != null) {
      if (conn != null) {
        BackendConnection c = conn;
        conn = null;
        c.close();
        endAttempt(false, false, tunnel);
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
    proxy.stats.connectionClosed();
    ctx.fireChannelInactive();
  }

  /** From any thread: if this is a WebSocket tunnel to {@code b}, close it politely (1001 to each side). */
  void goAwayIfTunnelTo(Backend b) {
    loop.loop.execute(() -> {
      if (tunnel && backend == b) {
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
    ByteBuf out = ctx.alloc().buffer(head.approximateSize() + 64);
    head.writeAll(out);
    proxy.rewriter.writeServedBy(out, backend.id());
    out.writeShort(ResponseHead.CRLF);
    ctx.write(out);
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
    writeHead();
    ctx.flush();
  }

  // ---- backend side -----------------------------------------------------------------------

  private Backend pickBackend() {
    Pool pool = proxy.upstream.pool();
    boolean useBreakers = proxy.breakers != null && !pool.panicking();
    if (triedCount == 0 && proxy.sticky != StickySessions.NONE) {
      pinned = proxy.sticky.pinned(this, pool);
      if (pinned != null && admit(pinned, useBreakers)) {
        return pinned;
      }
    }
    Balancer balancer = proxy.balancer;
    // A balancer may keep answering a backend already tried or refused (a hash): then scan.
    for (int i = 0; i < 3; i++) {
      Backend b = balancer.pick(this, pool);
      if (b == null) {
        return null;
      }
      if (!wasTried(b) && admit(b, useBreakers)) {
        return b;
      }
    }
    for (Backend b : pool.available()) {
      if (!wasTried(b) && admit(b, useBreakers)) {
        return b;
      }
    }
    return null;
  }

  /**
   * Takes a request slot on the backend if it has room, and its breaker's admission (a half-open
   * breaker admits few); on success the attempt is counted in flight.
   */
  private boolean admit(Backend b, boolean useBreakers) {
    breaker = null;
    if (!b.stats().tryRequestStarted(proxy.maxInflight)) {
      return false;
    }
    if (!useBreakers) {
      return true;
    }
    CircuitBreaker cb = proxy.breakers.of(b);
    if (cb == null || cb.tryAcquire()) {
      breaker = cb;
      return true;
    }
    b.stats().requestCancelled();
    return false;
  }

  /**
   * Ends the current attempt's bookkeeping: the backend's counters and its breaker.
   *
   * @param failed whether the backend failed this attempt (for its counters)
   * @param verdict whether the outcome says anything about the backend (not when the client left)
   */
  private void endAttempt(boolean failed, boolean breakerFailure, boolean verdict) {
    backend.stats().requestFinished(proxy.clock.nanos() - attemptStartNanos, failed);
    RequestQueue queue = proxy.queue;
    if (queue != null && queue.size() > 0) {
      queue.wake(1);
    }
    CircuitBreaker cb = breaker;
    if (cb != null) {
      breaker = null;
      if (!verdict) {
        cb.onIgnored();
      } else if (breakerFailure) {
        cb.onFailure();
      } else {
        cb.onSuccess();
      }
    }
  }

  private boolean wasTried(Backend b) {
    for (int i = 0; i < triedCount; i++) {
      if (tried[i] == b) {
        return true;
      }
    }
    return false;
  }

  private void dispatch(Backend b) {
    backend = b;
    tried[triedCount++] = b;
    attempts++;
    attemptStartNanos = proxy.clock.nanos();
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
      proxy.passiveHealth.connectFailed(backend, f.cause());
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
    RequestHeadWriter.write(head, request, clientIp, scheme, http2Stream, upgradeRequested);
    c.channel.write(head);
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
      responseDeadline = proxy.clock.nanos() + proxy.responseTimeoutNanos;
      if (timer == null) {
        timer = loop.loop.schedule(timeoutTask, proxy.responseTimeoutNanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  void onResponseHead(BackendConnection c, ResponseHead head) {
    if (c != conn) {
      return;
    }
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
      // Interim (100 Continue and friends): pass it on and keep waiting for the real response.
      if (http2Stream) {
        ctx.write(head.toHttpResponse());
      } else {
        ByteBuf out = ctx.alloc().buffer(head.approximateSize());
        head.writeKept(out);
        out.writeShort(ResponseHead.CRLF);
        ctx.write(out);
      }
      ctx.flush();
      return;
    }
    cancelTimeout();
    status = code;
    responseStarted = true;
    backendKeepAlive = head.keepAlive();
    boolean keep = keepAlive && requestReceived && !proxy.draining;
    String cookie = proxy.sticky == StickySessions.NONE ? null : proxy.sticky.pin(this, backend, pinned);
    if (http2Stream) {
      HttpResponse resp = head.toHttpResponse();
      proxy.rewriter.addServedBy(resp, backend.id());
      keepAlive = keep;
      if (cookie != null) {
        resp.headers().add(HttpHeaderNames.SET_COOKIE, cookie);
      }
      lastWrite = ctx.write(resp);
      return;
    }
    long small = head.contentLength > 0 && head.contentLength <= JOIN_LIMIT ? head.contentLength : 0;
    ByteBuf out = ctx.alloc().buffer(head.approximateSize() + 128 + (int) small);
    framing =
        proxy.rewriter.writeResponseHead(
            out, head, clientVersion == HttpVersion.HTTP_1_0, keep, request.method() != HttpMethod.HEAD, backend.id(), cookie);
    keepAlive = keep && framing != HeaderRewriter.BodyFraming.UNTIL_CLOSE;
    unwrittenHead = out;
  }

  /** Writes the response head held back for its body, if any. */
  private void writeHead() {
    ByteBuf head = unwrittenHead;
    if (head != null) {
      unwrittenHead = null;
      lastWrite = ctx.write(head);
    }
  }

  void onResponseBody(BackendConnection c, ByteBuf piece) {
    if (c != conn) {
      piece.release();
      return;
    }
    ByteBuf head = unwrittenHead;
    if (head != null && framing == HeaderRewriter.BodyFraming.AS_IS && piece.readableBytes() <= head.maxFastWritableBytes()) {
      head.writeBytes(piece);
      piece.release();
      return;
    }
    writeHead();
    if (tunnel) {
      ctx.write(piece);
    } else if (http2Stream) {
      lastWrite = ctx.write(new DefaultHttpContent(piece));
    } else if (framing == HeaderRewriter.BodyFraming.RECHUNK) {
      ctx.write(ResponseBytes.chunkStart(piece.readableBytes(), ctx.alloc()));
      ctx.write(piece);
      lastWrite = ctx.write(ResponseBytes.chunkEnd());
    } else {
      lastWrite = ctx.write(piece);
    }
    if (!ctx.channel().isWritable()) {
      // Download back-pressure: stop reading the backend until the client catches up.
      c.channel.config().setAutoRead(false);
    }
  }

  void onResponseEnd(BackendConnection c) {
    if (c != conn) {
      return;
    }
    writeHead();
    if (http2Stream) {
      lastWrite = ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
    } else if (framing == HeaderRewriter.BodyFraming.RECHUNK) {
      lastWrite = ctx.write(ResponseBytes.lastChunk());
    }
    ctx.flush();
    ChannelFuture last = lastWrite;
    lastWrite = null;
    completeExchange(last);
  }

  void onBadResponse(BackendConnection c) {
    if (c != conn) {
      return;
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
      endAttempt(false, false, true);
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
    long left = responseDeadline - proxy.clock.nanos();
    if (left > 0) {
      timer = loop.loop.schedule(timeoutTask, left, TimeUnit.NANOSECONDS);
      return;
    }
    awaitingResponse = false;
    BackendConnection c = conn;
    conn = null;
    c.close();
    endAttempt(true, true, true);
    finishWithFailure(ProxyFailure.RESPONSE_TIMEOUT);
  }

  // ---- ending an exchange -----------------------------------------------------------------

  private void completeExchange(ChannelFuture lastWrite) {
    endAttempt(status >= 500, status >= 500 && proxy.count5xx, true);
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
    endAttempt(true, true, true);
    proxy.stats.failure(failure);
    BackendConnection c = conn;
    conn = null;
    if (c != null) {
      c.close();
    }
    boolean afterSend = headSent;
    boolean retryable = attempts <= proxy.retries && (!afterSend || (idempotent && body.replayable()));
    if (retryable) {
      Backend next = pickBackend();
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
    ChannelFuture w = ctx.writeAndFlush(http2Stream ? r : ResponseBytes.encode(r, ctx.alloc()));
    boolean unreadBody = !requestReceived;
    endExchange();
    if (close) {
      w.addListener(f -> lingeringClose(unreadBody));
    } else {
      processQueued();
    }
  }

  private void rejectMalformed(Throwable cause) {
    ProxyFailure failure =
        cause instanceof TooLongHttpLineException
            ? ProxyFailure.URI_TOO_LONG
            : cause instanceof TooLongHttpContentException
                ? ProxyFailure.BODY_TOO_LARGE
            : cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException
                ? ProxyFailure.HEADERS_TOO_LARGE
                : ProxyFailure.BAD_REQUEST;
    if (request != null) {
      // The body of a request in progress was malformed: nothing more can be trusted on this connection.
      if (conn != null) {
        BackendConnection c = conn;
        conn = null;
        c.close();
        endAttempt(false, false, false);
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
    endAttempt(true, true, true);
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
    if (unwrittenHead != null) {
      unwrittenHead.release();
      unwrittenHead = null;
    }
    if (tunnel) {
      proxy.tunnels.remove(this);
    }
    proxy.stats.requestEnded(status);
    long now = proxy.clock.nanos();
    ExchangeListener listener = proxy.listener;
    if (listener != null) {
      listener.exchangeEnded(request.method().name(), request.uri(), clientIp, backend, status, now - startNanos);
    }
    body.clear();
    request = null;
    backend = null;
    pinned = null;
    timeouts.exchangeEnded(now);
    for (int i = 0; i < triedCount; i++) {
      tried[i] = null;
    }
    triedCount = 0;
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
