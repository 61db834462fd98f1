package io.stc.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.stc.pool.Backend;

/**
 * One keep-alive connection to a backend, owned by at most one client exchange at a time and only
 * ever used from the event loop that made it.
 */
final class BackendConnection extends ChannelInboundHandlerAdapter {
  final Backend backend;
  final LoopContext loop;
  Channel channel;
  BackendResponseDecoder decoder;
  /** The client connection whose exchange uses this connection, or null while idle in the pool. */
  ClientConnection owner;
  /** Whether the connection has carried a request before (a stale one may close under us). */
  boolean reused;

  BackendConnection(Backend backend, LoopContext loop) {
    this.backend = backend;
    this.loop = loop;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ClientConnection o = owner;
    if (o == null) {
      // A backend must not speak unasked; whatever it said, this connection can't be trusted.
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    o.onBackendRead(this, msg);
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
}
