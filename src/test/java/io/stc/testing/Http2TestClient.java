package io.stc.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A cleartext HTTP/2 client by prior knowledge on Netty, for tests that need to see one
 * connection carry several streams, trailers, resets or frames no ordinary client sends.
 */
public final class Http2TestClient implements AutoCloseable {
  /** A response: its headers, its body and its trailers (null when none came). */
  public record Response(Http2Headers headers, byte[] body, Http2Headers trailers) {
    public int status() {
      return Integer.parseInt(headers.status().toString());
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  /** Completes with the error code of the first GOAWAY the server sends. */
  public final CompletableFuture<Long> goAway = new CompletableFuture<>();
  private final Channel channel;

  public Http2TestClient(int port) throws InterruptedException {
    channel = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(), new Http2MultiplexHandler(new SimpleChannelInboundHandler<Object>() {
              @Override
              protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                // No pushed streams are expected.
              }
            }), new io.netty.channel.ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                // Connection-level frames the multiplexer passes on.
                if (msg instanceof io.netty.handler.codec.http2.Http2GoAwayFrame g) {
                  goAway.complete(g.errorCode());
                }
                io.netty.util.ReferenceCountUtil.release(msg);
              }
            });
          }
        })
        .connect("127.0.0.1", port)
        .sync()
        .channel();
  }

  /** Whether the connection is still open. */
  public boolean isOpen() {
    return channel.isActive();
  }

  public Response get(String path) throws Exception {
    return send("GET", path, null, null).get(20, TimeUnit.SECONDS);
  }

  /** Sends a request with an optional body and trailers; completes with the whole response. */
  public CompletableFuture<Response> send(String method, String path, byte[] body, Http2Headers trailers) throws InterruptedException {
    CompletableFuture<Response> done = new CompletableFuture<>();
    Http2StreamChannel stream = new Http2StreamChannelBootstrap(channel).handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
      private Http2Headers head;
      private final ByteArrayOutputStream data = new ByteArrayOutputStream();

      @Override
      protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
        if (frame instanceof Http2HeadersFrame h) {
          if (head == null || head.status().toString().startsWith("1")) {
            head = h.headers();
            if (h.isEndStream()) {
              done.complete(new Response(head, data.toByteArray(), null));
            }
          } else {
            done.complete(new Response(head, data.toByteArray(), h.headers()));
          }
        } else if (frame instanceof Http2DataFrame d) {
          ByteBuf content = d.content();
          byte[] bytes = new byte[content.readableBytes()];
          content.readBytes(bytes);
          data.writeBytes(bytes);
          if (d.isEndStream()) {
            done.complete(new Response(head, data.toByteArray(), null));
          }
        } else if (frame instanceof Http2ResetFrame r) {
          done.completeExceptionally(new IllegalStateException("stream reset: " + r.errorCode()));
        }
      }

      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        // Netty's multiplexer hands a stream its RST_STREAM as an event, not as a read.
        if (event instanceof Http2ResetFrame r) {
          done.completeExceptionally(new IllegalStateException("stream reset: " + r.errorCode()));
        }
        ctx.fireUserEventTriggered(event);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        done.completeExceptionally(new IllegalStateException("stream closed before the response ended"));
      }
    }).open().sync().getNow();
    Http2Headers headers = new DefaultHttp2Headers().method(method).path(path).scheme("http").authority("127.0.0.1");
    boolean bodyFollows = body != null || trailers != null;
    stream.write(new DefaultHttp2HeadersFrame(headers, !bodyFollows));
    if (body != null) {
      stream.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), trailers == null));
    }
    if (trailers != null) {
      stream.write(new DefaultHttp2HeadersFrame(trailers, true));
    }
    stream.flush();
    return done;
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
