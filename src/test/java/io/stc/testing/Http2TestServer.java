package io.stc.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2SettingsFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrame;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cleartext HTTP/2 (h2c, prior knowledge) backend on Netty, for tests of stc's HTTP/2 side: each
 * request is answered 200 with {@code <path> <bytes received>} (and the path in {@code x-request-path})
 * and its trailers sent back as response trailers. It can limit concurrent streams, send GOAWAY every so many streams, and
 * refuse streams, as real servers under load or in a rolling restart do.
 */
public final class Http2TestServer implements AutoCloseable {
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel server;
  private final AtomicInteger streams = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  /** The headers of every request answered, as received. */
  public final List<Http2Headers> requests = new CopyOnWriteArrayList<>();
  private volatile int goAwayEvery;
  private volatile int refuseEvery;
  private volatile int lowerLimitEvery;
  private volatile String[] extraHeader;
  private volatile String status = "200";
  private volatile String[] extraTrailer;
  private volatile int lowerLimitTo;
  private volatile int bodySize = -1;
  private volatile long answerAfterMillis;
  /** Bytes of response DATA written to the socket so far (as far as stc's flow-control windows let them go). */
  public final AtomicLong responseBytesSent = new AtomicLong();
  /** The most streams one connection had waiting for their answer at once. */
  public final AtomicInteger peakStreamsPerConnection = new AtomicInteger();
  private static final byte[] PATTERN = new byte[16 * 1024 + 251];

  static {
    for (int i = 0; i < PATTERN.length; i++) {
      PATTERN[i] = patternByte(i);
    }
  }

  public Http2TestServer(int maxConcurrentStreams) throws InterruptedException {
    this(maxConcurrentStreams, null);
  }

  /** A server over TLS when {@code tls} is given (its ALPN decides what it offers). */
  public Http2TestServer(int maxConcurrentStreams, io.netty.handler.ssl.SslContext tls) throws InterruptedException {
    this(maxConcurrentStreams, tls, Http2CodecUtil.DEFAULT_WINDOW_SIZE);
  }

  /** A server that gives each stream, and its connections, a receive window of {@code receiveWindow} bytes. */
  public Http2TestServer(int maxConcurrentStreams, io.netty.handler.ssl.SslContext tls, int receiveWindow)
      throws InterruptedException {
    this("127.0.0.1", 0, maxConcurrentStreams, tls, receiveWindow);
  }

  /** A cleartext server on {@code host}:{@code port} (0: a free one). */
  public Http2TestServer(String host, int port, int maxConcurrentStreams) throws InterruptedException {
    this(host, port, maxConcurrentStreams, null, Http2CodecUtil.DEFAULT_WINDOW_SIZE);
  }

  private Http2TestServer(String host, int port, int maxConcurrentStreams, io.netty.handler.ssl.SslContext tls, int receiveWindow)
      throws InterruptedException {
    try {
      server = bind(host, port, maxConcurrentStreams, tls, receiveWindow);
    } catch (Exception e) {
      // The address is taken, say (a bind error, thrown unchecked): the loop started for it goes too.
      group.shutdownGracefully();
      throw e;
    }
  }

  private Channel bind(String host, int port, int maxConcurrentStreams, io.netty.handler.ssl.SslContext tls, int receiveWindow)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            connections.incrementAndGet();
            if (tls != null) {
              ch.pipeline().addLast(tls.newHandler(ch.alloc()));
            }
            ch.pipeline().addLast(
                Http2FrameCodecBuilder.forServer()
                    .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(maxConcurrentStreams)
                        .initialWindowSize(receiveWindow))
                    .build(),
                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                  @Override
                  protected void initChannel(Http2StreamChannel stream) {
                    stream.pipeline().addLast(new Answer());
                  }
                }));
          }
        })
        .bind(host, port)
        .sync()
        .channel();
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Connections accepted so far. */
  public int connections() {
    return connections.get();
  }

  /** Every {@code n}-th stream's connection is shut down gracefully (two GOAWAYs) once that stream is answered (0: never). */
  public void goAwayEvery(int n) {
    goAwayEvery = n;
  }

  /** Responses carry {@code bytes} bytes of {@link #patternByte} each, in 16 KiB DATA frames, instead of the path (negative: the path). */
  public void bodySize(int bytes) {
    bodySize = bytes;
  }

  /** Each answer goes out this long after its request has ended, as a backend busy with it would answer. */
  public void answerAfter(long millis) {
    answerAfterMillis = millis;
  }

  /** The byte at {@code offset} of a {@link #bodySize} response. */
  public static byte patternByte(long offset) {
    return (byte) (offset % 251);
  }

  /**
   * When its {@code n}-th stream arrives, each connection's SETTINGS lower its stream limit to
   * {@code to} (0: never), as a server shedding load does; streams past it are refused by Netty.
   */
  public void lowerLimitEvery(int n, int to) {
    lowerLimitTo = to;
    lowerLimitEvery = n;
  }

  /** Every response (but those of {@code bodySize}) has this status from now on. */
  public void status(int code) {
    status = Integer.toString(code);
  }

  /** Every response carries this field too, as given (HPACK carries any octets, CR and LF included). */
  public void extraResponseHeader(String name, String value) {
    extraHeader = new String[] {name, value};
  }

  /** Every response ends with trailers that carry this field, as given. */
  public void extraResponseTrailer(String name, String value) {
    extraTrailer = new String[] {name, value};
  }

  /**
   * Ends each answer as Node's http2 server does under load when its handler did not read the
   * request: the last DATA without END_STREAM, then RST_STREAM(NO_ERROR). {@code declared}: the
   * content-length the head says (-1: none), which may differ from the body's.
   */
  public void endWithReset(long declared) {
    resetEndDeclared = declared;
    resetEnd = true;
  }

  private volatile boolean resetEnd;
  private volatile long resetEndDeclared = -1;

  /** Every {@code n}-th stream is refused with RST_STREAM(REFUSED_STREAM) before it is read (0: never). */
  public void refuseEvery(int n) {
    refuseEvery = n;
  }

  private final class Answer extends SimpleChannelInboundHandler<Http2StreamFrame> {
    private Http2Headers head;
    private long received;
    private int number;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
      if (frame instanceof Http2HeadersFrame h) {
        if (head == null) {
          head = h.headers();
          number = streams.incrementAndGet();
          int refuse = refuseEvery;
          if (refuse > 0 && number % refuse == 0) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
            return;
          }
          int lower = lowerLimitEvery;
          if (lower > 0 && number % lower == 0) {
            ((Http2StreamChannel) ctx.channel()).parent().writeAndFlush(
                new DefaultHttp2SettingsFrame(new Http2Settings().maxConcurrentStreams(lowerLimitTo)));
          }
          peakStreamsPerConnection.accumulateAndGet(waitingOn(ctx).incrementAndGet(), Math::max);
          if (h.isEndStream()) {
            answer(ctx, null);
          }
        } else {
          answer(ctx, h.headers());
        }
      } else if (frame instanceof Http2DataFrame d) {
        received += d.content().readableBytes();
        if (d.isEndStream()) {
          answer(ctx, null);
        }
      }
    }

    private void answer(ChannelHandlerContext ctx, Http2Headers trailers) {
      long after = answerAfterMillis;
      if (after > 0) {
        ctx.executor().schedule(() -> answerNow(ctx, trailers), after, TimeUnit.MILLISECONDS);
      } else {
        answerNow(ctx, trailers);
      }
    }

    private void answerNow(ChannelHandlerContext ctx, Http2Headers trailers) {
      waitingOn(ctx).decrementAndGet();
      requests.add(head);
      int size = bodySize;
      if (size >= 0) {
        ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200").add("content-length", Integer.toString(size))));
        for (int off = 0; off < size; off += 16 * 1024) {
          int n = Math.min(16 * 1024, size - off);
          ctx.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(PATTERN, off % 251, n), off + n == size))
              .addListener(f -> {
                if (f.isSuccess()) {
                  responseBytesSent.addAndGet(n);
                }
              });
        }
        ctx.flush();
        return;
      }
      Http2Headers response = new DefaultHttp2Headers().status(status).add("content-type", "text/plain").add("x-backend-version", "h2")
          .add("x-request-path", head.path());
      String[] extra = extraHeader;
      if (extra != null) {
        response.add(extra[0], extra[1]);
      }
      String[] trailer = extraTrailer;
      if (trailer != null) {
        trailers = trailers == null ? new DefaultHttp2Headers() : trailers;
        trailers.add(trailer[0], trailer[1]);
      }
      ByteBuf body = Unpooled.copiedBuffer(head.path() + " " + received, StandardCharsets.UTF_8);
      if (resetEnd) {
        long declared = resetEndDeclared;
        if (declared >= 0) {
          response.add("content-length", Long.toString(declared));
        }
        ctx.write(new DefaultHttp2HeadersFrame(response));
        if ("HEAD".contentEquals(head.method())) {
          body.release();
          ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
        } else {
          // Once the body is on the wire: Netty's flow controller would otherwise let the reset
          // overtake it (and so would Node's, had its body still been queued).
          ctx.writeAndFlush(new DefaultHttp2DataFrame(body, false))
              .addListener(f -> ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR)));
        }
        return;
      }
      ctx.write(new DefaultHttp2HeadersFrame(response));
      ctx.write(new DefaultHttp2DataFrame(body, trailers == null));
      if (trailers != null) {
        ctx.write(new DefaultHttp2HeadersFrame(trailers, true));
      }
      ctx.flush();
      int every = goAwayEvery;
      if (every > 0 && number % every == 0) {
        Channel parent = ((Http2StreamChannel) ctx.channel()).parent();
        // A graceful shutdown as servers do it (RFC 9113 section 6.8): a first GOAWAY that covers
        // every stream, then, a round trip later, the real last one. (Netty closes the connection
        // on a DATA frame for a stream it refused after a single GOAWAY, a race no client avoids.)
        DefaultHttp2GoAwayFrame first = new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR);
        first.setExtraStreamIds(Integer.MAX_VALUE);
        parent.writeAndFlush(first);
        parent.eventLoop().schedule(() -> {
          parent.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
        }, 50, TimeUnit.MILLISECONDS);
      }
    }
  }

  private static final io.netty.util.AttributeKey<AtomicInteger> WAITING = io.netty.util.AttributeKey.valueOf("stc.test.waiting");

  /** The streams of this stream's connection waiting for their answer. */
  private static AtomicInteger waitingOn(ChannelHandlerContext ctx) {
    Channel parent = ((Http2StreamChannel) ctx.channel()).parent();
    AtomicInteger n = parent.attr(WAITING).get();
    if (n == null) {
      n = new AtomicInteger();
      AtomicInteger had = parent.attr(WAITING).setIfAbsent(n);
      if (had != null) {
        n = had;
      }
    }
    return n;
  }

  @Override
  public void close() {
    server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
