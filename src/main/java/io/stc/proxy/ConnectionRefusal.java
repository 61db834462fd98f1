package io.stc.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Answers a plain-HTTP connection over a connection limit at once with 503 and Retry-After, then
 * closes it without a reset: whatever the client sent or sends meanwhile is read and dropped until
 * it closes (Netty closes the channel when the client's side ends), for at most a second. A bare close with unread bytes would reset the
 * connection, and the client would never learn why.
 */
final class ConnectionRefusal extends ChannelInboundHandlerAdapter {
  private static final byte[] ANSWER;

  static {
    byte[] body = ProxyFailure.CONNECTION_LIMIT.body();
    String head = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: " + body.length
        + "\r\nretry-after: 1\r\nconnection: close\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    ANSWER = new byte[h.length + body.length];
    System.arraycopy(h, 0, ANSWER, 0, h.length);
    System.arraycopy(body, 0, ANSWER, h.length, body.length);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    Channel ch = ctx.channel();
    ch.writeAndFlush(Unpooled.wrappedBuffer(ANSWER)).addListener(f -> {
      if (ch instanceof DuplexChannel d && ch.isActive()) {
        d.shutdownOutput();
      }
      ch.eventLoop().schedule(() -> ch.close(), 1, TimeUnit.SECONDS);
    });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
