package io.stc.proxy;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a client's HTTP/2 connection pipeline: protocol errors a client caused (floods,
 * oversized headers, flow-control abuse) were already answered by the codec with GOAWAY or
 * RST_STREAM (and the codec closes the connection after a GOAWAY); they are logged at debug, so a
 * hostile client cannot fill the log. Anything else closes the connection.
 */
@ChannelHandler.Sharable
final class Http2ConnectionErrors extends ChannelInboundHandlerAdapter {
  static final Http2ConnectionErrors INSTANCE = new Http2ConnectionErrors();
  private static final Logger log = LoggerFactory.getLogger(Http2ConnectionErrors.class);

  private Http2ConnectionErrors() {}

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof Http2FrameStreamException e) {
      // One stream's error: Http2ClientStreams reset that stream; the connection and its other streams go on.
      log.debug("HTTP/2 client {} stream {}: {}", ctx.channel().remoteAddress(), e.stream().id(), e.getCause() == null ? e : e.getCause().getMessage());
      return;
    }
    if (cause instanceof Http2Exception) {
      // The codec already sent GOAWAY with the error's code and closes the connection after it.
      log.debug("HTTP/2 client {}: {}", ctx.channel().remoteAddress(), cause.getMessage());
      return;
    }
    log.debug("HTTP/2 client connection {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
