package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.stc.Clock;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A client connection's two timeouts: the request head must arrive in full within the header
 * timeout of its first byte (slowloris: answered 408), and a connection with no exchange in
 * progress closes after the idle timeout. Sits before the HTTP decoder, so it sees raw bytes.
 *
 * <p>One timer per connection, re-armed only when it fires and never cancelled on the way, so a
 * request costs one clock read here and no scheduling.
 */
final class ClientTimeouts extends ChannelInboundHandlerAdapter {
  private static final byte[] REQUEST_TIMEOUT =
      "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final Clock clock;
  private final long headNanos;
  private final long idleNanos;
  private ChannelHandlerContext ctx;
  /** No exchange in progress: the next bytes start a request head. */
  private boolean betweenExchanges = true;
  /** When the first byte of the awaited head arrived, or -1 before it. */
  private long headStartNanos = -1;
  /** When the connection last became idle (opened, or its last exchange ended). */
  private long idleSinceNanos;
  private ScheduledFuture<?> timer;

  ClientTimeouts(Clock clock, long headNanos, long idleNanos) {
    this.clock = clock;
    this.headNanos = headNanos;
    this.idleNanos = idleNanos;
  }

  /** For an HTTP/2 stream, whose connection's timeouts are not this class's business. */
  static ClientTimeouts none() {
    return new ClientTimeouts(Clock.SYSTEM, Long.MAX_VALUE, Long.MAX_VALUE);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    idleSinceNanos = clock.nanos();
    arm(Math.min(headNanos, idleNanos));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (betweenExchanges && headStartNanos < 0 && msg instanceof ByteBuf) {
      headStartNanos = clock.nanos();
      if (timer == null) {
        arm(headNanos);
      }
    }
    ctx.fireChannelRead(msg);
  }

  /** The decoder produced a request head: neither clock runs until the exchange ends. */
  void headReceived() {
    betweenExchanges = false;
    headStartNanos = -1;
  }

  /** The exchange ended at {@code nowNanos} (by the same clock): idle from now; the next bytes start the next head's clock. */
  void exchangeEnded(long nowNanos) {
    betweenExchanges = true;
    idleSinceNanos = nowNanos;
    if (timer == null && ctx != null) {
      arm(idleNanos);
    }
  }

  private void arm(long delayNanos) {
    if (delayNanos < Long.MAX_VALUE / 2) {
      timer = ctx.executor().schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void check() {
    timer = null;
    if (ctx == null || !betweenExchanges || !ctx.channel().isActive()) {
      // An exchange is in progress: its end re-arms the timer.
      return;
    }
    long now = clock.nanos();
    if (headStartNanos >= 0) {
      long left = headStartNanos + headNanos - now;
      if (left <= 0) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      arm(left);
      return;
    }
    long left = idleSinceNanos + idleNanos - now;
    if (left <= 0) {
      ctx.close();
      return;
    }
    arm(Math.min(left, headNanos));
  }

  /** Taken out when the connection switches to HTTP/2, whose idle rule is its own. */
  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    this.ctx = null;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    ctx.fireChannelInactive();
  }
}
