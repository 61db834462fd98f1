package io.stc.traffic;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A throwaway HTTP server on loopback that answers every bodiless request with a fixed 200, so
 * the load generator can run its own code hot before measuring the real target: on a small busy
 * machine the JIT otherwise needs seconds, and open-loop latency would charge that to the target.
 */
final class LocalSink implements AutoCloseable {
  private static final ByteBuf RESPONSE = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Served-By: warm-up\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1)));

  private final Channel server;

  LocalSink(EventLoopGroup group, Class<? extends ServerChannel> channelType) throws InterruptedException {
    server = new ServerBootstrap()
        .group(group)
        .channel(channelType)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new Answer());
          }
        })
        .bind("127.0.0.1", 0).sync().channel();
  }

  /** Where it listens. */
  InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  @Override
  public void close() {
    server.close().awaitUninterruptibly();
  }

  /** Counts request ends (an empty line, as the requests have no body) and answers each one. */
  private static final class Answer extends ChannelInboundHandlerAdapter {
    private int matched; // how much of CR LF CR LF the last bytes matched

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      int requests = 0;
      try {
        for (int i = in.readerIndex(); i < in.writerIndex(); i++) {
          byte b = in.getByte(i);
          boolean expectLf = (matched & 1) == 1;
          if (b == (expectLf ? '\n' : '\r')) {
            matched++;
          } else {
            matched = b == '\r' ? 1 : 0;
          }
          if (matched == 4) {
            requests++;
            matched = 0;
          }
        }
      } finally {
        in.release();
      }
      for (int i = 0; i < requests; i++) {
        ctx.write(RESPONSE.duplicate(), ctx.voidPromise());
      }
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
