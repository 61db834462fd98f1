package io.stc.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.stc.pool.Backend;
import java.util.concurrent.TimeUnit;

/**
 * A switched connection (a WebSocket after its 101): bytes relayed both ways untouched, with
 * back-pressure each way, until either side closes, which closes the other. On the client side it
 * is its own handler, swapped in for the HTTP ones; on the backend side its link hands it what
 * arrives. It counts in flight against its backend until it ends; a backend that drains or leaves
 * has its tunnels closed politely (1001, going away, to each side), and so does a tunnel on which
 * nothing went either way for {@code timeouts.stream_idle} (a peer that vanished without a close
 * would otherwise hold both connections for ever).
 */
final class Tunnel {
  private final ProxyServer proxy;
  private final Backend backend;
  private final Channel client;
  private final Channel backendChannel;
  private final Runnable ended;
  private final ChannelHandler clientSide = new ClientSide();
  private final long idleNanos;
  private ScheduledFuture<?> idleTimer;
  /** When a byte last came from either side. */
  private long lastReadNanos;
  private boolean done;

  /** @param ended runs once, on the client's event loop, when the tunnel is over */
  Tunnel(ProxyServer proxy, Backend backend, Channel client, Channel backendChannel, Runnable ended) {
    this.proxy = proxy;
    this.backend = backend;
    this.client = client;
    this.backendChannel = backendChannel;
    this.ended = ended;
    this.idleNanos = proxy.settings.streamIdleNanos();
    this.lastReadNanos = proxy.clock.nanos();
    watchIdle(idleNanos);
  }

  private void watchIdle(long inNanos) {
    idleTimer = client.eventLoop().schedule(this::idleCheck, inNanos, TimeUnit.NANOSECONDS);
  }

  private void idleCheck() {
    if (done) {
      return;
    }
    long left = idleNanos - (proxy.clock.nanos() - lastReadNanos);
    if (left > 0) {
      watchIdle(left);
      return;
    }
    proxy.stats.failure(ProxyFailure.STREAM_IDLE);
    goAway();
  }

  /** The handler that takes the HTTP handlers' place in the client's pipeline. */
  ChannelHandler clientSide() {
    return clientSide;
  }

  Backend backend() {
    return backend;
  }

  /** Bytes from the backend. */
  void fromBackend(Object msg) {
    lastReadNanos = proxy.clock.nanos();
    client.write(msg);
    if (!client.isWritable()) {
      backendChannel.config().setAutoRead(false);
    }
  }

  void backendReadComplete() {
    client.flush();
  }

  void backendWritabilityChanged() {
    if (backendChannel.isWritable() && !client.config().isAutoRead()) {
      client.config().setAutoRead(true);
    }
  }

  /** The backend ended it: so does the client, after what was relayed. */
  void backendClosed() {
    client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    finish();
  }

  /** From any thread: close both sides politely, as a draining backend or a shutdown wants. */
  void goAway() {
    client.eventLoop().execute(() -> {
      if (done) {
        return;
      }
      backendChannel.writeAndFlush(WebSocketUpgrade.goingAwayFrame(true)).addListener(ChannelFutureListener.CLOSE);
      client.writeAndFlush(WebSocketUpgrade.goingAwayFrame(false)).addListener(ChannelFutureListener.CLOSE);
    });
  }

  private void finish() {
    if (done) {
      return;
    }
    done = true;
    idleTimer.cancel(false);
    proxy.tunnels.remove(this);
    ended.run();
  }

  private final class ClientSide extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      lastReadNanos = proxy.clock.nanos();
      backendChannel.write(msg);
      if (!backendChannel.isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      backendChannel.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable() && !backendChannel.config().isAutoRead()) {
        backendChannel.config().setAutoRead(true);
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      backendChannel.close();
      finish();
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
