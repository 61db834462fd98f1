package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.stc.pool.Backend;

/**
 * One keep-alive connection to a backend, owned by at most one client exchange at a time and only
 * ever used from the event loop that made it.
 */
final class BackendConnection extends ChannelInboundHandlerAdapter implements BackendResponseReader.Sink {
  final Backend backend;
  final LoopContext loop;
  final BackendResponseReader reader;
  Channel channel;
  /** The client connection whose exchange uses this connection, or null while idle in the pool. */
  ClientConnection owner;
  /** Whether the connection has carried a request before (a stale one may close under us). */
  boolean reused;

  BackendConnection(Backend backend, LoopContext loop, byte[] servedByName) {
    this.backend = backend;
    this.loop = loop;
    this.reader = new BackendResponseReader(servedByName);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (owner == null || !(msg instanceof ByteBuf in)) {
      // A backend must not speak unasked; whatever it said, this connection can't be trusted.
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    try {
      reader.read(in, this);
    } finally {
      in.release();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ClientConnection o = owner;
    if (o != null) {
      o.flushToClient();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    ClientConnection o = owner;
    if (o != null) {
      o.updateClientReading();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    reader.closed(this);
    reader.release();
    ClientConnection o = owner;
    if (o != null) {
      owner = null;
      o.onBackendClosed(this);
    } else {
      loop.forget(this);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Resets and the like: closing fires channelInactive, which tells the owner.
    ctx.close();
  }

  void close() {
    owner = null;
    if (channel != null) {
      channel.close();
    }
  }

  // The reader's output goes to whichever exchange owns the connection at that moment.

  @Override
  public void onResponseHead(ResponseHead head) {
    ClientConnection o = owner;
    if (o != null) {
      o.onResponseHead(this, head);
    }
  }

  @Override
  public void onResponseBody(ByteBuf piece) {
    ClientConnection o = owner;
    if (o != null) {
      o.onResponseBody(this, piece);
    } else {
      piece.release();
    }
  }

  @Override
  public void onResponseBody(ByteBuf in, int length) {
    ClientConnection o = owner;
    if (o != null) {
      o.onResponseBody(this, in, length);
    } else {
      in.skipBytes(length);
    }
  }

  @Override
  public void onResponseEnd() {
    ClientConnection o = owner;
    if (o != null) {
      o.onResponseEnd(this);
    }
  }

  @Override
  public void onTunnelBytes(ByteBuf bytes) {
    onResponseBody(bytes);
  }

  @Override
  public void onBadResponse() {
    ClientConnection o = owner;
    if (o != null) {
      o.onBadResponse(this);
    }
  }
}
