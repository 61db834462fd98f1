package io.stc.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One client connection (or HTTP/2 stream) as the proxy sees it: hands each request to its
 * {@link Exchange}, holds pipelined requests until the one before is answered, reads the client
 * only while there is room for what it sends, and closes the connection the way an answer needs.
 * The request's journey itself is the exchange's business.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
  /** Pipelined messages buffered before the client stops being read. */
  private static final int QUEUE_LIMIT = 32;

  private final ProxyServer proxy;
  final ClientTimeouts timeouts;
  final String scheme;
  /** An HTTP/2 stream, whose frames stand for HTTP/1.1 objects, rather than an HTTP/1.x connection. */
  final boolean http2Stream;
  /** Over a connection limit: every request is answered 503 and the connection closes. */
  final boolean refused;
  private final ArrayDeque<Object> queued = new ArrayDeque<>(4);
  ChannelHandlerContext ctx;
  ResponseWriter response;
  LoopContext loop;
  String clientIp;
  boolean reading = true;
  /** Inside a read of the client: what goes to the backend is flushed when it completes. */
  boolean inRead;
  private Exchange exchange;
  /** An HTTP/2 stream's request head has arrived: a later HEADERS frame carries its trailers. */
  private boolean streamHeadSeen;

  /** @param loop the event loop's context when the caller knows it already (an HTTP/2 stream's connection), else null */
  ClientConnection(ProxyServer proxy, ClientTimeouts timeouts, String scheme, boolean http2Stream, boolean refused, LoopContext loop) {
    this.proxy = proxy;
    this.loop = loop;
    this.refused = refused;
    this.timeouts = timeouts;
    this.scheme = scheme;
    this.http2Stream = http2Stream;
  }

  // Set up when added, not when active: after TLS and ALPN the channel is active already.
  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.response = new ResponseWriter(ctx, proxy.rewriter, http2Stream);
    if (loop == null) {
      loop = proxy.loopContext(ctx.channel().eventLoop());
    }
    java.net.SocketAddress address = ctx.channel().remoteAddress();
    this.clientIp = address instanceof InetSocketAddress remote ? remote.getAddress().getHostAddress() : "unknown";
    this.exchange = new Exchange(proxy, this);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    inRead = true;
    if (http2Stream) {
      msg = fromStreamFrame(msg);
      if (msg == null) {
        return;
      }
    }
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

  /**
   * An HTTP/2 stream's frame as the request object it stands for, or null when it stands for
   * nothing (then released) or makes the request malformed (then the stream is reset).
   */
  private Object fromStreamFrame(Object msg) {
    if (msg instanceof Http2HeadersFrame f) {
      if (!streamHeadSeen) {
        streamHeadSeen = true;
        HttpRequest head = Http2StreamRequest.head(f.headers(), f.isEndStream());
        if (head == null) {
          // RFC 9113 8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR.
          ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR)).addListener(ChannelFutureListener.CLOSE);
          return null;
        }
        return head;
      }
      if (f.isEndStream()) {
        return Http2StreamRequest.trailers(f.headers());
      }
      // HEADERS in the middle of a body: not a request any more (RFC 9113 8.1).
      ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR)).addListener(ChannelFutureListener.CLOSE);
      return null;
    }
    if (msg instanceof Http2DataFrame d) {
      return Http2StreamRequest.content(d);
    }
    ReferenceCountUtil.release(msg);
    return null;
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
    while (!queued.isEmpty() && (!exchange.inProgress() || !exchange.requestReceived())) {
      handleInbound(queued.poll());
    }
    exchange.flushToBackend();
    updateReading();
  }

  /** Stops or resumes reading the client, so neither buffers nor pipelined requests grow without bound. */
  void updateReading() {
    boolean want = queued.size() < QUEUE_LIMIT && exchange.wantsClientBytes();
    if (want != reading && ctx != null) {
      reading = want;
      ctx.channel().config().setAutoRead(want);
      if (want && http2Stream) {
        // Reading again returns the stream's flow-control window; when this runs inside the
        // connection's read loop the stream's own flush is deferred to it, and may come too late.
        ctx.channel().parent().flush();
      }
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
  void closeIfIdle() {
    if (ctx != null && !exchange.inProgress()) {
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
    c.pipeline().replace(this, "tunnel", t.clientSide());
    c.pipeline().remove("codec");
    if (c.pipeline().get("timeouts") != null) {
      c.pipeline().remove("timeouts");
    }
    c.flush();
  }

  /**
   * Closes after an error answer. When the client may still be sending a body, closing at once
   * would make the kernel reset the connection and the client could lose the answer; so stop
   * writing, keep reading (and discarding) for a moment, then close (nginx's lingering close).
   */
  void closeAfterAnswer(boolean unreadBody) {
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
}
