package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection whose request head does not arrive in full within the header
 * timeout of its first byte (slowloris): sits before the HTTP decoder, so it sees raw bytes.
 * Costs one clock read per request; its timer is re-armed only when it fires.
 */
final class HeadTimeout extends ChannelInboundHandlerAdapter {
  private static final byte[] REQUEST_TIMEOUT =
      "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final long timeoutNanos;
  private ChannelHandlerContext ctx;
  private boolean waitingForHead = true;
  private long headStartNanos = -1;
  private ScheduledFuture<?> timer;

  HeadTimeout(long timeoutNanos) {
    this.timeoutNanos = timeoutNanos;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (waitingForHead && headStartNanos < 0 && msg instanceof ByteBuf) {
      headStartNanos = System.nanoTime();
      if (timer == null) {
        timer = ctx.executor().schedule(this::check, timeoutNanos, TimeUnit.NANOSECONDS);
      }
    }
    ctx.fireChannelRead(msg);
  }

  /** The decoder produced a request head: stop the clock until the exchange ends. */
  void headReceived() {
    waitingForHead = false;
    headStartNanos = -1;
  }

  /** The exchange ended: the next bytes start the next head's clock. */
  void exchangeEnded() {
    waitingForHead = true;
  }

  private void check() {
    timer = null;
    if (!waitingForHead || headStartNanos < 0 || !ctx.channel().isActive()) {
      return;
    }
    long left = headStartNanos + timeoutNanos - System.nanoTime();
    if (left > 0) {
      timer = ctx.executor().schedule(this::check, left, TimeUnit.NANOSECONDS);
      return;
    }
    ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
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
