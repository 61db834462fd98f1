package io.stc.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP/2 connection that has had no stream open for the idle timeout, counted from its
 * last stream's end (or from its start): the same keep-alive limit as an HTTP/1.1 connection's,
 * as nginx's {@code keepalive_timeout} is for HTTP/2. A connection whose streams keep coming is
 * never closed, however briefly it is without one.
 */
final class Http2IdleClose extends ChannelInboundHandlerAdapter {
  private final Http2Connection connection;
  private final long idleNanos;
  /** When the last stream ended, or the connection began. */
  private long idleSinceNanos;
  private ScheduledFuture<?> timer;

  Http2IdleClose(Http2Connection connection, long idleNanos) {
    this.connection = connection;
    this.idleNanos = idleNanos;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    idleSinceNanos = System.nanoTime();
    connection.addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamClosed(Http2Stream stream) {
        idleSinceNanos = System.nanoTime();
      }
    });
    check(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  /** Closes the connection when it has been without a stream for the idle timeout; else looks again when it could have been. */
  private void check(ChannelHandlerContext ctx) {
    if (!ctx.channel().isOpen()) {
      return;
    }
    long left = connection.numActiveStreams() > 0 ? idleNanos : idleSinceNanos + idleNanos - System.nanoTime();
    if (left <= 0) {
      ctx.close();
      return;
    }
    timer = ctx.executor().schedule(() -> check(ctx), left, TimeUnit.NANOSECONDS);
  }
}
