package io.stc.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP/2 connection that had no stream open for the idle timeout: the same keep-alive
 * limit as an HTTP/1.1 connection's. Puts its idle timer in the pipeline just before itself.
 */
final class Http2IdleClose extends ChannelInboundHandlerAdapter {
  private final Http2Connection connection;
  private final long idleNanos;

  Http2IdleClose(Http2Connection connection, long idleNanos) {
    this.connection = connection;
    this.idleNanos = idleNanos;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    ctx.pipeline().addBefore(ctx.name(), null, new IdleStateHandler(idleNanos, 0, 0, TimeUnit.NANOSECONDS));
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && connection.numActiveStreams() == 0) {
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }
}
