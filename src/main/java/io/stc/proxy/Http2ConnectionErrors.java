package io.stc.proxy;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a client's HTTP/2 connection pipeline. Protocol errors a client caused (floods,
 * oversized headers, flow-control abuse) never get here: {@link Http2ClientStreams} answers them
 * with GOAWAY (and closes) or RST_STREAM. What does get here (a reset connection, a broken pipe)
 * is logged at debug, so a hostile client cannot fill the log, and closes the connection.
 */
@ChannelHandler.Sharable
final class Http2ConnectionErrors extends ChannelInboundHandlerAdapter {
  static final Http2ConnectionErrors INSTANCE = new Http2ConnectionErrors();
  private static final Logger log = LoggerFactory.getLogger(Http2ConnectionErrors.class);

  private Http2ConnectionErrors() {}

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("HTTP/2 client connection {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
