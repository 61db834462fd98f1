package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.stc.pool.Backend;

/**
 * A keep-alive HTTP/1.1 connection to a backend: the request is written as bytes (head by
 * {@link RequestHeadWriter}, body framed as the client framed it) and the response read from the
 * bytes that arrive by a {@link ResponseReader}, never decoded into objects.
 */
final class Http1Link extends BackendLink implements ResponseReader.Sink {
  final ResponseReader reader;
  private final ChannelHandler handler = new Inbound();
  /** Where {@link #frame} puts the body's bytes: made once, not per piece. */
  private final java.util.function.Consumer<ByteBuf> toChannel = b -> channel.write(b);
  /** Whether the connection has carried a request before (a stale one may close under us). */
  boolean reused;
  /** How long the backend says it keeps the connection while idle (its Keep-Alive timeout), or -1 when it says nothing. */
  long saidIdleNanos = -1;
  /** The address the connection was opened to: once its backend's name moved elsewhere, it is not reused. */
  java.net.SocketAddress connectedTo;
  /** When, by the proxy's clock, this connection went idle into the pool. */
  long idleSinceNanos;
  /** When, by the proxy's clock, this connection idling in the pool stops being reused for any request. */
  long idleUntilNanos;
  /** When it stops being reused for requests that can be sent again ({@link LoopContext#RESENDABLE_IDLE_NANOS}). */
  long resendableUntilNanos;
  /** Whether any byte came back since the current request's head went out. */
  private boolean heard;
  /** The body being written is chunked (framed anew here). */
  private boolean chunked;
  /** Set once the connection switched protocols: what arrives goes to the tunnel. */
  private Tunnel tunnel;

  Http1Link(Backend backend, LoopContext loop, byte[] servedByName) {
    super(backend, loop);
    this.reader = new ResponseReader(servedByName);
  }

  /** The handler that goes into the connection's pipeline. */
  ChannelHandler handler() {
    return handler;
  }

  @Override
  void writeHead(ClientRequest r) {
    ByteBuf head = channel.alloc().buffer(256);
    RequestHeadWriter.write(head, r, backend);
    chunked = r.body.chunked();
    heard = false;
    // Nothing waits for this write; a failure closes the connection, which retries or answers.
    channel.write(head, channel.voidPromise());
  }

  @Override
  void writeBody(HttpContent content) {
    frame(content, chunked, channel.alloc(), toChannel);
  }

  /**
   * A piece of a request body as HTTP/1.1 bytes, given to {@code out} in order: as it is, or as a
   * chunk when the body goes chunked (its last piece with the trailers). Takes ownership of the piece.
   */
  static void frame(HttpContent content, boolean chunked, io.netty.buffer.ByteBufAllocator alloc, java.util.function.Consumer<ByteBuf> out) {
    ByteBuf data = content.content();
    boolean last = content instanceof LastHttpContent;
    if (!data.isReadable()) {
      content.release();
    } else if (chunked) {
      out.accept(ResponseBytes.chunkStart(data.readableBytes(), alloc));
      out.accept(data);
      out.accept(ResponseBytes.chunkEnd());
    } else {
      out.accept(data);
    }
    if (last && chunked) {
      HttpHeaders trailers = ((LastHttpContent) content).trailingHeaders();
      if (trailers.isEmpty()) {
        out.accept(ResponseBytes.lastChunk());
      } else {
        ByteBuf end = alloc.buffer(64);
        end.writeByte('0').writeShort(ResponseHead.CRLF);
        RequestHeadWriter.writeTrailers(end, trailers);
        out.accept(end);
      }
    }
  }

  @Override
  void dataOnly() {
    reader.dataOnly();
  }

  @Override
  void expect(boolean headRequest, boolean keepFraming) {
    reader.expect(headRequest, keepFraming);
  }

  @Override
  HttpHeaders trailers() {
    return reader.trailers();
  }

  @Override
  void release(boolean backendKeepsAlive) {
    if (backendKeepsAlive && channel.isActive() && !reader.hasLeftover()) {
      loop.release(this);
    } else {
      close();
    }
  }

  @Override
  boolean isHttp2() {
    return false;
  }

  @Override
  boolean closedWhileIdleMaybe() {
    return reused && !heard;
  }

  /** Bytes after a 101 are no longer HTTP: from now on (the rest of this read too) they go to the tunnel. */
  void switchTo(Tunnel t) {
    owner = null;
    tunnel = t;
  }

  /** Inbound events of the connection, kept off the link's own API. */
  private final class Inbound extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      channel = ctx.channel();
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (tunnel != null) {
        tunnel.fromBackend(msg);
        return;
      }
      if (owner == null || !(msg instanceof ByteBuf in)) {
        // A backend must not speak unasked; whatever it said, this connection can't be trusted.
        ReferenceCountUtil.release(msg);
        ctx.close();
        return;
      }
      heard = true;
      try {
        reader.read(in, Http1Link.this);
      } finally {
        in.release();
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (tunnel != null) {
        tunnel.backendReadComplete();
        return;
      }
      UpstreamRequest o = owner;
      if (o != null) {
        o.flushToClient();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (tunnel != null) {
        tunnel.backendWritabilityChanged();
        return;
      }
      UpstreamRequest o = owner;
      if (o != null) {
        o.backendWritabilityChanged();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      reader.release();
      if (tunnel != null) {
        tunnel.backendClosed();
        return;
      }
      reader.closed(Http1Link.this);
      UpstreamRequest o = owner;
      if (o != null) {
        owner = null;
        o.onBackendClosed(Http1Link.this);
      } else {
        loop.forget(Http1Link.this);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // Resets and the like: closing fires channelInactive, which tells the owner.
      ctx.close();
    }
  }

  // The reader's output goes to whichever exchange owns the connection at that moment.

  @Override
  public void onResponseHead(ResponseHead head) {
    long seconds = head.keepAliveTimeoutSeconds();
    saidIdleNanos = seconds < 0 ? -1 : seconds * 1_000_000_000L;
    UpstreamRequest o = owner;
    if (o != null) {
      o.onResponseHead(this, head);
    }
  }

  @Override
  public void onResponseBody(ByteBuf piece) {
    UpstreamRequest o = owner;
    if (o != null) {
      o.onResponseBody(this, piece);
    } else {
      piece.release();
    }
  }

  @Override
  public void onResponseBody(ByteBuf in, int length) {
    UpstreamRequest o = owner;
    if (o != null) {
      o.onResponseBody(this, in, length);
    } else {
      in.skipBytes(length);
    }
  }

  @Override
  public void onResponseEnd() {
    UpstreamRequest o = owner;
    if (o != null) {
      o.onResponseEnd(this);
    }
  }

  @Override
  public void onTunnelBytes(ByteBuf bytes) {
    if (tunnel != null) {
      tunnel.fromBackend(bytes);
    } else {
      bytes.release();
    }
  }

  @Override
  public void onBadResponse() {
    UpstreamRequest o = owner;
    if (o != null) {
      o.onBadResponse(this);
    }
  }
}
