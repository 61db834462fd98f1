package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.stc.pool.Backend;

/**
 * One request's way through the proxy, from its head to the end of its response: the admission
 * steps, an optional read of the whole body, a place in the queue, attempts on backends (retried
 * elsewhere when that is safe), and the response streamed back. One explicit {@link Stage} at a
 * time. This is the downstream side, the client's; the attempts are the {@link UpstreamRequest}'s,
 * which hands on what the backend answers. A client connection (or HTTP/2 stream) reuses one
 * exchange for each of its requests, so a request allocates none.
 *
 * <p>Everything here runs on the client connection's event loop, which is also the loop of every
 * backend link it uses, so nothing needs synchronisation.
 */
final class Exchange implements ExchangeTimers.Deadlines, EndedExchange {
  /**
   * Where the exchange is; what happened on the way is in the fields below. The upstream request
   * moves it to CONNECTING and FORWARDING as an attempt begins and its request goes out.
   */
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

  private final ProxyServer proxy;
  /** What the current request goes by: the settings in force when it started (a reload applies from the next). */
  private ProxySettings settings;
  private final ClientConnection client;
  private final ExchangeTimers timers;
  final Attempts attempts;
  /** The request as the client sent it. */
  final ClientRequest request;
  /** The request's body, as it arrives and is held or kept. */
  private final RequestBody body;
  /** The request's way to a backend, attempt by attempt. */
  private final UpstreamRequest upstream;
  /** Set up when the proxy has a request queue. */
  private final QueuePlace queuePlace;

  Stage stage = Stage.IDLE;
  private boolean keepAlive;
  private int status;
  private long retryAfterSeconds;
  private long startNanos;
  /** When the exchange ended, for its listener. */
  private long endNanos;
  /** Why stc answered or broke off the exchange itself, or null. */
  private ProxyFailure failure;
  private long lastBodyNanos;
  /** When the backend last sent some of the response (or the client last made room for it). */
  private long lastResponseNanos;
  private final GrpcCall grpc;
  /** The request's place in a distributed trace ({@code tracing}). */
  private final RequestTrace trace = new RequestTrace();

  Exchange(ProxyServer proxy, ClientConnection client) {
    this.proxy = proxy;
    this.settings = proxy.settings;
    this.client = client;
    this.attempts = new Attempts(proxy, trace);
    this.request = new ClientRequest(client, trace);
    this.body = request.body;
    this.grpc = new GrpcCall(proxy.stats);
    this.timers = new ExchangeTimers(client.loop.loop, proxy.clock, this, settings.bodyTimeoutNanos(), settings.sendTimeoutNanos());
    this.upstream = new UpstreamRequest(proxy, this, client, request, attempts, grpc, timers);
    this.queuePlace = proxy.queue == null ? null
        : new QueuePlace(proxy, client.loop.loop, () -> attempts.pick(request), upstream::dispatch, this::finishWithFailure,
            () -> QueuePlace.footprint(request.head));
  }

  boolean inProgress() {
    return request.head != null;
  }

  /** The client sent the whole request: anything more it sends is the next request. */
  boolean requestReceived() {
    return request.received;
  }

  // ---- the request comes in ---------------------------------------------------------------------

  /** A request head arrived (its body, if any, follows as content). */
  void start(HttpRequest req) {
    client.timeouts.headReceived();
    settings = client.requestSettings();
    request.start(req, settings);
    client.response.rewriter(settings.rewriter());
    timers.timeouts(settings.bodyTimeoutNanos(), settings.sendTimeoutNanos());
    keepAlive = HttpUtil.isKeepAlive(req) && !proxy.draining && !client.refused;
    upstream.start(req, settings);
    attempts.clear(settings.retries());
    status = 0;
    failure = null;
    stage = Stage.BUFFERING;
    startNanos = proxy.clock.nanos();
    trace.start(settings.traceSampleThreshold(), settings.joinsCallerTrace(client.trustedPeer), settings.traceHeaders(), req.headers(),
        startNanos);
    client.loop.retryBudget.requestStarted(startNanos);
    grpc.start(req.headers(), startNanos);
    if (grpc.active()) {
      timers.watchSilence(settings.streamIdleNanos());
    }
    proxy.stats.requestStarted();
    ProxyFailure refusal = client.refused ? ProxyFailure.CONNECTION_LIMIT : proxy.steps.admit(this);
    if (refusal != null) {
      if (refusal != ProxyFailure.RATE_LIMITED) {
        keepAlive = false;
      }
      finishWithFailure(refusal);
      return;
    }
    request.upgradeRequested = !client.http2Stream && WebSocketUpgrade.isRequested(req);
    if (request.hasNoBody()) {
      mirror();
    }
    // A gRPC call's messages are a conversation (a bidirectional stream sends one and waits for the
    // answer): they go as they come, as nginx's grpc_pass does, never held for a whole body.
    boolean readWholeFirst = request.startBody(settings.bufferLimit(), !grpc.active());
    if (!request.hasNoBody()) {
      // A body follows: it may not trickle in (slow POST), and a small one is read whole first, so
      // a slow client never holds a backend connection for it (nginx's request buffering).
      lastBodyNanos = startNanos;
      if (!grpc.active()) {
        timers.bodyStarted();
      }
      if (readWholeFirst) {
        if (request.expectsContinue()) {
          // The body is wanted here and now, not when a backend says so.
          request.answeredExpect = true;
          client.ctx.writeAndFlush(Unpooled.wrappedBuffer(CONTINUE));
        }
        return;
      }
    }
    proceed();
  }

  /**
   * The whole request is here and was let in: the mirror, when there is one, gets its copy. Not a
   * WebSocket's or a gRPC call's, which are conversations, not requests to repeat.
   */
  private void mirror() {
    MirrorTarget m = settings.mirror();
    if (m != null && failure == null && !grpc.active() && !request.upgradeRequested) {
      client.loop.mirror.copy(request, m);
    }
  }

  /** Picks a backend and sends the request to it, or queues it for one, or answers that there is none. */
  private void proceed() {
    if (proxy.queue != null && proxy.queue.hasWaiters()) {
      // Others are already waiting for room: no overtaking.
      queue();
      return;
    }
    Backend b = attempts.pick(request);
    if (b != null) {
      upstream.dispatch(b);
    } else if (proxy.queue != null && (settings.queueWhenEmpty() || proxy.upstream.pool().availableCount() > 0)) {
      queue();
    } else {
      finishWithFailure(ProxyFailure.NO_BACKEND);
    }
  }

  private void queue() {
    stage = Stage.QUEUED;
    trace.queued(proxy.clock.nanos());
    queuePlace.join();
  }

  /** A piece of the request body arrived. */
  void content(HttpContent c) {
    long bodyBytes = body.received(c);
    lastBodyNanos = proxy.clock.nanos();
    boolean last = c instanceof LastHttpContent;
    if (settings.validator().bodyTooLarge(bodyBytes) || body.overDeclared(last)) {
      // HTTP/1 bodies were measured by the decoder; this catches an HTTP/2 stream's DATA.
      c.release();
      rejectMalformed(new RequestRejection(
          body.overDeclared(last) ? ProxyFailure.BAD_REQUEST : ProxyFailure.BODY_TOO_LARGE, "body does not match its length"));
      return;
    }
    if (last) {
      request.received = true;
      mirror();
    }
    if (stage == Stage.FORWARDING || stage == Stage.RESPONDING) {
      upstream.sendBody(c, last);
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
    return !body.holdingTooMuch() && upstream.takesBody();
  }

  // ---- the response goes to the client (as the upstream request hands it on) ----------------------

  /** An interim response (100 Continue and friends) goes on at once; the real one follows. */
  void interim(ResponseHead head) {
    client.response.interim(head);
  }

  /** The final response's head goes to the client (held back a moment, so a small body joins it). */
  void respond(ResponseHead head) {
    grpc.headForwarded(head);
    status = head.status;
    stage = Stage.RESPONDING;
    lastResponseNanos = proxy.clock.nanos();
    if (!grpc.active()) {
      timers.watchSilence(settings.responseBodyTimeoutNanos());
    }
    boolean keep = keepAlive && request.received && !proxy.draining;
    Backend b = attempts.backend();
    String cookie = proxy.steps.responseCookie(this, b);
    keepAlive = client.response.head(head, request, keep, b.id(), cookie, gzipFor(head));
  }

  /** The stream that gzip-encodes this response's body, when {@code compression} applies to it and the loop has room; else null. */
  private GzipStream gzipFor(ResponseHead head) {
    ResponseCompression compression = settings.compression();
    if (compression == null || grpc.active() || !compression.applies(request, head)) {
      return null;
    }
    java.util.zip.Deflater d = client.loop.deflaters.take(compression.level());
    if (d == null) {
      return null;
    }
    head.encodeGzip();
    upstream.dataOnly();
    return new GzipStream(client.loop.deflaters, d);
  }

  /** A piece of the response body goes to the client; false when the client takes no more for now. */
  boolean responseBody(ByteBuf piece) {
    lastResponseNanos = proxy.clock.nanos();
    client.response.body(piece);
    return client.isWritable();
  }

  /** Copies the next {@code length} bytes of {@code in} into the response head held back, when they fit there. */
  boolean joinResponseBody(ByteBuf in, int length) {
    lastResponseNanos = proxy.clock.nanos();
    return client.response.join(in, length);
  }

  /**
   * The response came whole, with these trailer fields (or null): the client has it, and the
   * exchange is over.
   */
  void responseEnded(HttpHeaders trailers) {
    ChannelFuture lastWrite = client.response.end(trailers);
    // A gRPC call's outcome is in its trailers (or a trailers-only head), whatever the HTTP status.
    boolean failed = grpc.endedInFailure(trailers) || status >= 500;
    upstream.completed(failed);
    endAfterAnswer(lastWrite, !keepAlive || !request.received);
  }

  /**
   * The backend's response broke its framing. When its head is still held back, so nothing of it
   * reached the client, it is forgotten: the exchange waits for a response again (the attempt fails
   * like one with a bad head).
   */
  void withdrawUnwrittenResponse() {
    if (stage == Stage.RESPONDING && client.response.holdsUnwrittenHead()) {
      client.response.discard();
      client.response.resetBodyBytes();
      stage = Stage.FORWARDING;
      status = 0;
    }
  }

  void flushToClient() {
    client.response.flush();
  }

  /** The client became writable again: the backend may be read again. */
  void clientWritable() {
    timers.clientUnstalled();
    // The backend is read again only now: its silence while the client held it back is not its own.
    lastResponseNanos = proxy.clock.nanos();
    upstream.resumeReading();
  }

  /** Flushes what the client sent on to the backend, at the end of a client read. */
  void flushToBackend() {
    upstream.flush();
  }

  /**
   * The backend agreed to switch protocols: pass its 101 on and hand both connections to a tunnel
   * that relays bytes until either side closes. The exchange counts against the backend until then.
   */
  void switchToTunnel(Http1Link l, ResponseHead head) {
    timers.stopAwaiting();
    status = 101;
    stage = Stage.TUNNEL;
    client.response.switching(head, attempts.backend().id(), request.requestId());
    upstream.handedToTunnel();
    Tunnel t = new Tunnel(proxy, attempts.backend(), client.ctx.channel(), l.channel, this::tunnelEnded);
    l.switchTo(t);
    client.becomeTunnel(t);
  }

  private void tunnelEnded() {
    upstream.tunnelEnded();
    end();
  }

  // ---- deadlines ---------------------------------------------------------------------------------

  @Override
  public void attemptDeadlinePassed() {
    upstream.attemptDeadlinePassed();
  }

  @Override
  public void responseDeadlinePassed() {
    upstream.responseDeadlinePassed();
  }

  @Override
  public long bodyStalledNanos(long nowNanos) {
    // Once the response has begun the backend is in the conversation, and a client that pauses its
    // body (a watch, a chat) does so at the backend's leisure.
    if (request.head == null || request.received || stage == Stage.TUNNEL || stage == Stage.RESPONDING) {
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
    return request.head != null && stage == Stage.RESPONDING && !client.isWritable();
  }

  @Override
  public boolean backendStalls() {
    return request.head != null && upstream.bodyStalls();
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
      upstream.attemptFailed(ProxyFailure.BACKEND_SEND_TIMEOUT);
    }
  }

  @Override
  public long silenceLeftNanos(long nowNanos) {
    if (request.head == null || stage == Stage.TUNNEL) {
      return -1;
    }
    if (stage == Stage.RESPONDING && !client.isWritable()) {
      // The client holds the response back, so stc does not read the backend: the send timeout's.
      lastResponseNanos = nowNanos;
    }
    long last;
    long limit;
    if (grpc.active()) {
      // A call is idle when nothing went either way: a stream that waits on both sides (a watch)
      // may, for up to stream_idle.
      last = Math.max(startNanos, lastBodyNanos);
      if (stage == Stage.RESPONDING) {
        last = Math.max(last, lastResponseNanos);
      }
      limit = settings.streamIdleNanos();
    } else if (stage == Stage.RESPONDING) {
      // A body still coming from the client keeps the exchange alive (a backend may answer early
      // and read an upload before it says more).
      last = request.received ? lastResponseNanos : Math.max(lastResponseNanos, lastBodyNanos);
      limit = settings.responseBodyTimeoutNanos();
    } else {
      return -1;
    }
    return Math.max(0, limit - (nowNanos - last));
  }

  /**
   * Silence passed its limit. A response body the backend stopped sending: the client is broken
   * off, and the attempt counts against the backend (hung mid-response). A gRPC call on which
   * nothing went either way: no one's fault; it is answered in gRPC terms (UNAVAILABLE, so a
   * watch reconnects), before or after its response began.
   */
  @Override
  public void silenceDeadlinePassed() {
    if (!grpc.active()) {
      abortMidResponse(ProxyFailure.RESPONSE_BODY_TIMEOUT);
    } else if (stage != Stage.RESPONDING) {
      clientFailed(ProxyFailure.STREAM_IDLE);
    } else {
      timers.stopAwaiting();
      upstream.dropAttempt();
      endMidResponse(ProxyFailure.STREAM_IDLE);
    }
  }

  // ---- ending ------------------------------------------------------------------------------------

  void finishWithFailure(ProxyFailure failure) {
    recordFailure(failure);
    answerFailure(failure);
  }

  /** Counts the failure, and keeps it as the exchange's own for its listener. */
  private void recordFailure(ProxyFailure failure) {
    proxy.stats.failure(failure);
    this.failure = failure;
  }

  /** Answers the client with the failure; the exchange is over. */
  void answerFailure(ProxyFailure failure) {
    status = failure.status().code();
    // A malformed request poisons the connection; a rate-limited one does not.
    boolean close = !keepAlive || !request.received || (failure.isClientError() && failure != ProxyFailure.RATE_LIMITED);
    FullHttpResponse r;
    if (grpc.active()) {
      r = grpc.answer(failure, close && !client.http2Stream);
    } else {
      r = failure.response(retryAfterSeconds, close, request.version == HttpVersion.HTTP_1_0, request.isHeadMethod(),
          settings.errorPages().page(status));
    }
    endAfterAnswer(client.response.answer(r, request.requestId()), close);
  }

  /**
   * Ends the exchange, whose answer went out with {@code lastWrite}; then the client connection
   * closes once that write is done, or goes on to the client's next request.
   */
  private void endAfterAnswer(ChannelFuture lastWrite, boolean close) {
    boolean unreadBody = !request.received;
    end();
    if (close) {
      // An answer that came before the request's body ended (a backend's early 401 or 413): the
      // client may still be sending it, and a close now would reset the connection under it.
      lastWrite.addListener(f -> client.closeAfterAnswer(unreadBody));
    } else {
      client.processQueued();
    }
  }

  /** A request (or the body of one in progress) was malformed: nothing more can be trusted on this connection. */
  void rejectMalformed(Throwable cause) {
    ProxyFailure failure = ProxyFailure.ofMalformed(cause);
    if (request.head != null) {
      clientFailed(failure);
      return;
    }
    proxy.stats.requestStarted();
    request.startMalformed();
    trace.off();
    keepAlive = false;
    stage = Stage.BUFFERING;
    startNanos = proxy.clock.nanos();
    // Not a call, whatever the exchange's last request was: the answer is plain HTTP.
    grpc.start(request.head.headers(), startNanos);
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
    upstream.dropAttempt();
    if (stage == Stage.RESPONDING) {
      recordFailure(failure);
      end();
      client.close();
      return;
    }
    request.received = false;
    keepAlive = false;
    finishWithFailure(failure);
  }

  /** The response began but the backend failed it: the client must see a broken connection, not a short body. */
  void abortMidResponse(ProxyFailure failure) {
    attempts.failed(failure);
    timers.stopAwaiting();
    upstream.brokenOff();
    endMidResponse(failure);
  }

  /** Ends a response that began without its end (its attempt already ended): gRPC streams with a status, anything else broken off. */
  private void endMidResponse(ProxyFailure failure) {
    recordFailure(failure);
    if (grpc.active() && client.http2Stream) {
      // A gRPC stream ends with a status its caller can act on (UNAVAILABLE: try again), not a reset.
      client.response.end(grpc.brokenOffTrailers(failure));
      end();
      return;
    }
    boolean untilClose = client.response.delimitedByClose();
    end();
    client.breakOff(untilClose);
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
    if (request.head != null && stage != Stage.TUNNEL) {
      upstream.dropAttempt();
      proxy.stats.clientAborted();
      end();
    }
  }

  private void end() {
    timers.exchangeEnded();
    client.response.discard();
    proxy.stats.requestEnded(status);
    long now = proxy.clock.nanos();
    endNanos = now;
    trace.ended(this, request.scheme(), now, proxy.traces);
    ExchangeListener listener = proxy.listener;
    if (listener != null) {
      listener.exchangeEnded(this);
    }
    client.response.resetBodyBytes();
    body.clear();
    request.head = null;
    stage = Stage.IDLE;
    attempts.clear(settings.retries());
    client.timeouts.exchangeEnded(now);
  }

  void retryAfter(long seconds) {
    this.retryAfterSeconds = seconds;
  }

  // ---- what a listener reads as the exchange ends --------------------------------------------------

  /** A request whose head could not be parsed has no method or target to tell: "-". */
  @Override
  public String method() {
    return request.isMalformed() ? "-" : request.head.method().name();
  }

  @Override
  public String uri() {
    return request.isMalformed() ? "-" : request.head.uri();
  }

  @Override
  public String clientIp() {
    return request.clientIp();
  }

  @Override
  public Backend backend() {
    return attempts.backend();
  }

  @Override
  public int attempts() {
    return attempts.count();
  }

  @Override
  public int status() {
    return status;
  }

  @Override
  public long latencyNanos() {
    return endNanos - startNanos;
  }

  @Override
  public String protocol() {
    return client.http2Stream ? "HTTP/2.0" : request.version.text();
  }

  @Override
  public String requestHeader(CharSequence name) {
    return request.head.headers().get(name);
  }

  @Override
  public long responseBodyBytes() {
    return client.response.bodyBytes();
  }

  @Override
  public ProxyFailure failure() {
    return failure;
  }

  @Override
  public String requestId() {
    return request.requestId();
  }

  @Override
  public String traceId() {
    return trace.traceId();
  }

  @Override
  public int grpcStatus() {
    return grpc.endedWith();
  }

  @Override
  public boolean grpc() {
    return grpc.active();
  }

  /** The settings the current request goes by. */
  ProxySettings settings() {
    return settings;
  }
}
