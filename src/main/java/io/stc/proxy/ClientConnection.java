package io.stc.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client connection (or HTTP/2 stream) as the proxy sees it: hands each request to its
 * {@link Exchange}, holds pipelined requests until the one before is answered, reads the client
 * only while there is room for what it sends, and closes the connection the way an answer needs.
 * The request's journey itself is the exchange's business.
 *
 * <p>An HTTP/1.x connection is a handler in its channel's pipeline. An HTTP/2 stream has no
 * channel of its own: {@link Http2ClientStreams} hands it the stream's headers and DATA, it writes
 * the stream's frames through that handler, and "reading" is the stream's flow-control window:
 * DATA is given back to the client's window as the exchange takes it.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter implements Http2StreamsHandler.StreamReader {
  /** Pipelined messages buffered before the client stops being read. */
  private static final int QUEUE_LIMIT = 32;
  /**
   * How long the rest of a request answered before it ended is read and dropped: a client still
   * sending its body then gets the answer whole, as nginx's lingering close gives it.
   */
  private static final long LINGER_SECONDS = 2;

  private final ProxyServer proxy;
  final ClientTimeouts timeouts;
  final String scheme;
  /** An HTTP/2 stream, whose frames stand for HTTP/1.1 objects, rather than an HTTP/1.x connection. */
  final boolean http2Stream;
  /** The HTTP/2 stream this is, or null for an HTTP/1.x connection. */
  private Http2Stream stream;
  /** The handler of the stream's connection, or null for an HTTP/1.x connection. */
  private final Http2ClientStreams streams;
  /** Over a connection limit: every request is answered 503 and the connection closes. */
  final boolean refused;
  private final ArrayDeque<Object> queued = new ArrayDeque<>(4);
  ChannelHandlerContext ctx;
  /** The HTTP/1 decoder before this handler, looked up once; null for an HTTP/2 stream. */
  private RequestDecoder decoder;
  ResponseWriter response;
  LoopContext loop;
  /** The peer's address (a PROXY header's source, on a listener that takes one), as text. */
  String clientIp;
  /** The peer is one of {@code client_ip.trusted_proxies}: its requests may name their client. */
  boolean trustedPeer;
  /** The settings {@link #trustedPeer} was judged by. */
  private ProxySettings trustJudgedBy;
  /** The client's verified certificate as backends are told of it ({@link ClientCertificate}), or null. */
  String clientCert;
  boolean reading = true;
  /** Inside a read of the client: what goes to the backend is flushed when it completes. */
  boolean inRead;
  private Exchange exchange;
  /** An HTTP/2 stream's request head has arrived: a later HEADERS frame carries its trailers. */
  private boolean streamHeadSeen;
  /** Inside {@link #resumeStream}: taking held DATA may ask to resume again. */
  private boolean resuming;
  /** The reset that ends a stream answered before its request ended, if the client has not ended it by then. */
  private ScheduledFuture<?> lingering;
  /** Since when nothing has been under way on the connection: set up, or its last exchange ended (for {@link #closeIfIdle}). */
  private long idleSinceNanos;

  /** An HTTP/1.x connection: set up when the handler is added to its pipeline. */
  ClientConnection(ProxyServer proxy, ClientTimeouts timeouts, String scheme, boolean refused) {
    this.proxy = proxy;
    this.refused = refused;
    this.timeouts = timeouts;
    this.scheme = scheme;
    this.http2Stream = false;
    this.stream = null;
    this.streams = null;
  }

  /**
   * An HTTP/2 stream of a client connection.
   *
   * @param ctx the context of the connection's {@link Http2ClientStreams}
   */
  ClientConnection(ProxyServer proxy, Http2ClientStreams streams, ChannelHandlerContext ctx, Http2Stream stream,
      String scheme, boolean refused, LoopContext loop, String clientIp) {
    this.proxy = proxy;
    this.refused = refused;
    // A stream's head arrives in one frame sequence; slowloris is the connection's business.
    this.timeouts = ClientTimeouts.none();
    this.scheme = scheme;
    this.http2Stream = true;
    this.stream = stream;
    this.streams = streams;
    this.loop = loop;
    this.ctx = ctx;
    this.clientIp = clientIp;
    this.clientCert = streams.clientCert();
    this.response = new ResponseWriter(ctx, proxy.settings.rewriter(), streams, stream);
    this.exchange = new Exchange(proxy, this);
  }

  // Set up when added, not when active: after TLS and ALPN the channel is active already.
  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.decoder = ctx.pipeline().get(RequestDecoder.class);
    this.response = new ResponseWriter(ctx, proxy.settings.rewriter(), null, null);
    this.loop = proxy.loopContext(ctx.channel().eventLoop());
    this.clientIp = clientIp(ctx.channel());
    this.clientCert = proxy.settings.forwardClientCert() ? ClientCertificate.of(ctx.channel()) : null;
    this.exchange = new Exchange(proxy, this);
    this.idleSinceNanos = proxy.clock.nanos();
  }

  /** The client's address as the exchange reports and keys it (a PROXY header's source, on a listener that takes one), or "unknown". */
  static String clientIp(Channel ch) {
    // RFC 5952's text (::1, not 0:0:0:0:0:0:0:1), as nginx and HAProxy write it in headers and logs.
    return ProxyProtocolReader.clientAddress(ch) instanceof InetSocketAddress remote ? NetUtil.toAddressString(remote.getAddress()) : "unknown";
  }

  /**
   * The settings a request starting now goes by (the latest reload's), with {@link #trustedPeer}
   * judged by them: again only when a reload has replaced them since.
   */
  ProxySettings requestSettings() {
    ProxySettings s = proxy.settings;
    if (s != trustJudgedBy) {
      trustedPeer = trustsPeer(s, ctx.channel());
      trustJudgedBy = s;
    }
    return s;
  }

  /** Whether the peer (or a PROXY header's source) is a trusted proxy, whose requests may name their client. */
  static boolean trustsPeer(ProxySettings settings, Channel ch) {
    return ProxyProtocolReader.clientAddress(ch) instanceof InetSocketAddress remote
        && settings.trustedProxies().trusts(remote.getAddress());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    inRead = true;
    if (exchange.inProgress() && (exchange.requestReceived() || !queued.isEmpty())) {
      // Pipelined: the next request waits until this response is done.
      queued.add(msg);
      updateReading();
      return;
    }
    handleInbound(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    inRead = false;
    exchange.flushToBackend();
  }

  // ---- an HTTP/2 stream, driven by its connection's Http2ClientStreams ----------------------------

  /** A HEADERS frame of this stream arrived: the request's head, or its trailers. */
  void streamHeaders(Http2Headers headers, boolean endStream) {
    inRead = true;
    if (!streamHeadSeen) {
      streamHeadSeen = true;
      HttpRequest head = Http2StreamRequest.head(headers, endStream);
      if (head == null) {
        // RFC 9113 8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR.
        streams.reset(stream, Http2Error.PROTOCOL_ERROR);
        return;
      }
      take(head);
    } else if (endStream) {
      streamMessage(Http2StreamRequest.trailers(headers));
    } else {
      // HEADERS in the middle of a body: not a request any more (RFC 9113 8.1).
      streams.reset(stream, Http2Error.PROTOCOL_ERROR);
    }
  }

  /** A DATA frame of this stream arrived; {@code data} is this handler's to release. */
  void streamData(ByteBuf data, boolean endStream) {
    inRead = true;
    streamMessage(Http2StreamRequest.content(data, endStream));
  }

  private void streamMessage(HttpContent msg) {
    if (!reading || !queued.isEmpty()) {
      // Held, and not yet given back to the client's window: flow control keeps this bounded.
      queued.add(msg);
      return;
    }
    if (!(msg instanceof LastHttpContent)) {
      streams.keepingUp(stream);
    }
    take(msg);
  }

  /** The connection's read ended: what the stream sent goes on to the backend. */
  @Override
  public void streamReadComplete() {
    inRead = false;
    exchange.flushToBackend();
  }

  void streamWritabilityChanged() {
    if (isWritable()) {
      exchange.clientWritable();
    }
  }

  /** The stream closed (answered, reset, or its connection gone); this may serve another stream of the connection next. */
  void streamClosed() {
    if (lingering != null) {
      lingering.cancel(false);
      lingering = null;
    }
    exchange.streamClosed();
    while (!queued.isEmpty()) {
      ReferenceCountUtil.release(queued.poll());
    }
  }

  /**
   * Serves a new stream of the same connection, after the last one closed: a connection's streams
   * come and go by the thousand, and a fresh exchange each would cost its allocations and a timer
   * scheduled and cancelled every request.
   */
  void reuseFor(Http2Stream next) {
    stream = next;
    streamHeadSeen = false;
    reading = true;
    inRead = false;
    response.reuseFor(next);
  }

  /** The connection closed after this stream did ({@link #streamClosed}): it serves no more streams, and its timers go. */
  void connectionClosed() {
    exchange.clientClosed();
  }

  /** Hands a message on; a stream's DATA goes back to the client's flow-control window as it does. */
  private void take(Object msg) {
    if (http2Stream && msg instanceof HttpContent c) {
      streams.consume(stream, c.content().readableBytes());
    }
    handleInbound(msg);
  }

  /** Reads a stream again: what it held goes on, as long as the exchange keeps wanting it. */
  private void resumeStream() {
    if (resuming) {
      return;
    }
    resuming = true;
    try {
      while (reading && !queued.isEmpty()) {
        take(queued.poll());
      }
    } finally {
      resuming = false;
    }
    exchange.flushToBackend();
    // Window updates for what was taken; inside the connection's read, its end flushes them.
    if (!inRead) {
      streams.flush();
    }
  }

  /** Whether the client takes more of the response now (for a stream: its window, and the connection's buffer). */
  boolean isWritable() {
    return http2Stream ? streams.isWritable(stream) : ctx.channel().isWritable();
  }

  /**
   * The response under way cannot be finished (the backend broke it off): the client must see a
   * failure, never a body that merely ended. An HTTP/2 stream is reset with INTERNAL_ERROR (CANCEL,
   * "no longer needed", let Node's client end the cut body as if it were whole); an HTTP/1
   * connection closes, with a TCP reset when the body is delimited by the close (a clean close
   * would pass the cut body off as whole).
   */
  void breakOff(boolean delimitedByClose) {
    if (http2Stream) {
      streams.reset(stream, Http2Error.INTERNAL_ERROR);
    } else if (delimitedByClose) {
      ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
      ctx.close();
    } else {
      close();
    }
  }

  /**
   * Closes the connection, or ends the stream: reset, unless it has ended already or was answered
   * whole while the client still sends its request (then the rest is read and dropped for {@link
   * #LINGER_SECONDS}, and the stream reset with NO_ERROR only if the client has not ended it by then).
   */
  void close() {
    if (http2Stream) {
      if (response.ended() && stream.state() == Http2Stream.State.HALF_CLOSED_LOCAL) {
        linger();
      } else {
        streams.reset(stream, response.ended() ? Http2Error.NO_ERROR : Http2Error.CANCEL);
      }
    } else {
      // What was relayed goes out before the close, whether or not the read that brought it has
      // ended: a response cut after its head then reaches the client as a status and a cut body,
      // never as an empty reply that a client could take for a request the backend never saw.
      ctx.flush();
      ctx.close();
    }
  }

  /**
   * Takes the rest of a request that was answered before it ended, dropping it, so the client can
   * finish sending. RFC 9113 (8.1) lets a server reset such a stream with NO_ERROR at once, but a
   * client need not stop sending for it, and some do not: Java 17's HttpClient keeps sending into
   * a stream window that no longer opens and fails the call when the connection idles out a minute
   * later; HAProxy takes the rest too.
   */
  private void linger() {
    if (lingering != null) {
      return;
    }
    Http2Stream s = stream;
    lingering = ctx.executor().schedule(() -> {
      lingering = null;
      streams.reset(s, Http2Error.NO_ERROR);
    }, LINGER_SECONDS, TimeUnit.SECONDS);
    if (!reading) {
      reading = true;
      resumeStream();
    }
  }

  private void handleInbound(Object msg) {
    if (msg instanceof HttpRequest req) {
      if (req.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        exchange.rejectMalformed(req.decoderResult().cause());
        return;
      }
      if (!http2Stream && !refused && msg instanceof FullHttpRequest full && proxy.pipelines.upgrade(ctx, full)) {
        // Now an HTTP/2 connection: this request is its stream 1, and this handler is gone.
        full.release();
        return;
      }
      exchange.start(req);
      // A request that is all head (a FullHttpRequest) is complete as it starts; its empty content goes.
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpContent c) {
      if (c.decoderResult().isFailure()) {
        c.release();
        exchange.rejectMalformed(c.decoderResult().cause());
      } else if (exchange.inProgress() && !exchange.requestReceived()) {
        exchange.content(c);
      } else {
        // The rest of a request already answered (and about to be closed).
        c.release();
      }
      return;
    }
    ReferenceCountUtil.release(msg);
  }

  /** Handles what the client pipelined while the last exchange was in progress. */
  void processQueued() {
    idleSinceNanos = proxy.clock.nanos();
    while (!queued.isEmpty() && (!exchange.inProgress() || !exchange.requestReceived()) && (!http2Stream || reading)) {
      take(queued.poll());
    }
    RequestDecoder decoder = this.decoder;
    if (decoder != null && decoder.paused() && !exchange.inProgress()) {
      // The switch of protocols did not happen: the bytes after its request are the next requests.
      // Decoded after this event, never inside the decoder's own callback.
      ctx.executor().execute(() -> {
        if (ctx.channel().isActive() && !exchange.inProgress()) {
          decoder.resume();
          updateReading();
        }
      });
    }
    exchange.flushToBackend();
    updateReading();
  }

  /** Stops or resumes reading the client, so neither buffers nor pipelined requests grow without bound. */
  void updateReading() {
    if (http2Stream) {
      // A stream's held DATA is bounded by its window, not by a count.
      boolean want = exchange.wantsClientBytes();
      if (want != reading) {
        reading = want;
        if (want) {
          resumeStream();
        }
      }
      return;
    }
    // A paused decoder holds what the client sends after a request to switch protocols: not more.
    boolean want = queued.size() < QUEUE_LIMIT && exchange.wantsClientBytes() && (decoder == null || !decoder.paused());
    if (want != reading && ctx != null) {
      reading = want;
      ctx.channel().config().setAutoRead(want);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      exchange.clientWritable();
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
    exchange.clientClosed();
    while (!queued.isEmpty()) {
      ReferenceCountUtil.release(queued.poll());
    }
    ctx.fireChannelInactive();
  }

  /** Closes the connection if no exchange is in progress: for shutdown. */
  void closeIfIdle(long quietNanos) {
    // Only after a moment of quiet: a connection accepted just before the listener closed (a
    // restart, a handoff) has its first request on the way, and one in use is likely to carry the
    // next request at the very moment of a close, which its client would see fail (HAProxy's
    // idle-close-on-response has the same aim). Such a connection gets its next request answered
    // with Connection: close instead.
    if (ctx != null && !exchange.inProgress() && proxy.clock.nanos() - idleSinceNanos >= quietNanos) {
      ctx.close();
    }
  }

  /**
   * The exchange switched protocols: this handler and the HTTP ones leave the pipeline and the
   * tunnel relays from now on; anything the decoder buffered comes out to it as raw bytes.
   */
  void becomeTunnel(Tunnel t) {
    proxy.tunnels.add(t);
    ChannelHandlerContext c = ctx;
    while (!queued.isEmpty()) {
      ReferenceCountUtil.release(queued.poll());
    }
    c.pipeline().replace(this, "tunnel", t.clientSide());
    // The decoder paused after the request: what the client sent since goes to the tunnel as it came.
    c.pipeline().remove("codec");
    if (c.pipeline().get("timeouts") != null) {
      c.pipeline().remove("timeouts");
    }
    c.flush();
    // Reading stopped while the switch was pending; the tunnel's back-pressure takes over.
    c.channel().config().setAutoRead(true);
  }

  /**
   * Closes after an error answer. When the client may still be sending a body, closing at once
   * would make the kernel reset the connection and the client could lose the answer; so stop
   * writing, keep reading (and discarding) for a moment, then close (nginx's lingering close).
   */
  void closeAfterAnswer(boolean unreadBody) {
    if (http2Stream) {
      close();
      return;
    }
    Channel ch = ctx.channel();
    if (!unreadBody || !(ch instanceof DuplexChannel duplex) || !ch.isActive()) {
      ch.close();
      return;
    }
    if (!reading) {
      reading = true;
      ch.config().setAutoRead(true);
    }
    duplex.shutdownOutput().addListener(f -> ch.eventLoop().schedule(() -> ch.close(), LINGER_SECONDS, TimeUnit.SECONDS));
  }
}
