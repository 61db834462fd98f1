package io.stc.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cleartext HTTP/2 client by prior knowledge that asks for one response and, until told to go
 * on, gives none of its DATA back to the sender's flow-control windows: a client that reads slowly.
 * It checks the body against {@link Http2TestServer#patternByte}.
 */
public final class SlowHttp2Client implements AutoCloseable {
  private static final int STREAM = 3;

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Http2ConnectionHandler handler;
  private final Channel channel;
  /** Body bytes received so far. */
  public final AtomicLong received = new AtomicLong();
  /** Completes with the body's length when the response has ended, every byte as expected. */
  public final CompletableFuture<Long> done = new CompletableFuture<>();
  private boolean paused = true;
  private int unconsumed;

  public SlowHttp2Client(int port) throws InterruptedException {
    handler = new Http2ConnectionHandlerBuilder().server(false).frameListener(new Http2FrameAdapter() {
      @Override
      public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean endOfStream) {
        if (endOfStream) {
          done.complete(received.get());
        }
      }

      @Override
      public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
        int n = data.readableBytes();
        long at = received.get();
        for (int i = 0; i < n; i++) {
          if (data.getByte(data.readerIndex() + i) != Http2TestServer.patternByte(at + i)) {
            done.completeExceptionally(new AssertionError("body byte " + (at + i) + " is wrong"));
          }
        }
        received.addAndGet(n);
        if (endOfStream) {
          done.complete(received.get());
        }
        if (paused) {
          unconsumed += n;
          return padding;
        }
        return n + padding;
      }
    }).build();
    channel = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(handler)
        .connect("127.0.0.1", port).sync().channel();
  }

  /** Sends a GET for {@code path}. */
  public void get(String path) {
    channel.eventLoop().execute(() -> {
      ChannelHandlerContext ctx = channel.pipeline().context(handler);
      Http2Headers h = new DefaultHttp2Headers().method("GET").path(path).scheme("http").authority("127.0.0.1");
      handler.encoder().writeHeaders(ctx, STREAM, h, 0, true, ctx.newPromise());
      handler.flush(ctx);
    });
  }

  /** Reads on: gives back what it held and everything that comes from now on. */
  public void resume() {
    channel.eventLoop().execute(() -> {
      paused = false;
      ChannelHandlerContext ctx = channel.pipeline().context(handler);
      Http2Stream stream = handler.connection().stream(STREAM);
      try {
        if (stream != null && unconsumed > 0) {
          handler.decoder().flowController().consumeBytes(stream, unconsumed);
        }
      } catch (Http2Exception e) {
        done.completeExceptionally(e);
      }
      unconsumed = 0;
      handler.flush(ctx);
    });
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
