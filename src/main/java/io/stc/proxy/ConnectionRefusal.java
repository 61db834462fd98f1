package io.stc.proxy;

import io.netty.buffer.Unpooled;
import io.stc.config.ErrorPages;
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
  /** The answer without an error page, made once: refusals come in floods. */
  private static final byte[] JSON = answer(null);

  /** The last page's answer, made once per page rather than per refused connection (a page may be a megabyte). */
  private static volatile PageAnswer lastPage;

  private record PageAnswer(ErrorPages.Page page, byte[] bytes) {}

  private final byte[] answer;

  /** @param page the 503 page of {@code error_pages}, or null for the JSON body */
  ConnectionRefusal(ErrorPages.Page page) {
    if (page == null) {
      this.answer = JSON;
      return;
    }
    PageAnswer last = lastPage;
    if (last == null || last.page() != page) {
      last = new PageAnswer(page, answer(page));
      lastPage = last;
    }
    this.answer = last.bytes();
  }

  private static byte[] answer(ErrorPages.Page page) {
    byte[] body = page == null ? ProxyFailure.CONNECTION_LIMIT.body() : page.body();
    String head = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: " + (page == null ? "application/json" : page.contentType())
        + "\r\ncontent-length: " + body.length + "\r\nretry-after: 1\r\nconnection: close\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[h.length + body.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    Channel ch = ctx.channel();
    ch.writeAndFlush(Unpooled.wrappedBuffer(answer)).addListener(f -> {
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
