package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** When the streams' writes on one HTTP/2 connection leave: one write per round of the event loop, and never lost to a close. */
class Http2StreamsHandlerTest {
  private EventLoopGroup loop;
  private Channel server;
  private Channel client;
  private Streams streams;
  /** Flushes that passed the handler on their way to the socket. */
  private final AtomicInteger flushes = new AtomicInteger();
  /** Every byte the peer received. */
  private final ByteBuf received = Unpooled.buffer();

  /** The handler with nothing of its own: an HTTP/2 client connection. */
  private static final class Streams extends Http2StreamsHandler {
    Streams(Http2ConnectionDecoder d, Http2ConnectionEncoder e, Http2Settings s, boolean decouple, boolean flushPreface) {
      super(d, e, s, decouple, flushPreface);
    }

    @Override
    LoopContext loopContext() {
      // No DATA comes in on these tests' connections: nothing to measure or budget.
      throw new UnsupportedOperationException();
    }
  }

  @BeforeEach
  void connect() throws Exception {
    // One thread, so the peer's reads wait for the end of whatever the test runs on the loop.
    loop = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    LocalAddress address = new LocalAddress("h2-streams-" + System.nanoTime());
    server = new ServerBootstrap().group(loop).channel(LocalServerChannel.class)
        .childHandler(new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            synchronized (received) {
              received.writeBytes(in);
            }
            in.release();
          }
        })
        .bind(address).sync().channel();
    Http2Connection connection = Http2CodecBuilder.connection(false);
    Http2ConnectionEncoder encoder = new DefaultHttp2ConnectionEncoder(connection, new CompactHttp2FrameWriter());
    Http2ConnectionDecoder decoder = new DefaultHttp2ConnectionDecoder(connection, encoder, new DefaultHttp2FrameReader(true));
    decoder.frameListener(new Http2FrameAdapter());
    streams = new Http2CodecBuilder<Streams>(Streams::new).codec(decoder, encoder)
        .initialSettings(Http2Settings.defaultSettings()).build();
    client = new Bootstrap().group(loop).channel(LocalChannel.class)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
              @Override
              public void flush(ChannelHandlerContext ctx) {
                flushes.incrementAndGet();
                ctx.flush();
              }
            });
            ch.pipeline().addLast(streams);
          }
        })
        .connect(address).sync().channel();
    // The preface and the settings are out.
    await().atMost(Duration.ofSeconds(10)).until(() -> receivedText().startsWith("PRI * HTTP/2.0"));
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      // Streams the peer never answers must not hold the close for Netty's graceful 30 s.
      streams.gracefulShutdownTimeoutMillis(0);
      client.close().sync();
    }
    server.close().sync();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    received.release();
  }

  @Test
  void flushesAskedForInOneRoundOfTheEventLoopLeaveAsOneWrite() throws Exception {
    int[] during = new int[2];
    loop.submit(() -> {
      during[0] = flushes.get();
      for (int id = 1; id <= 9; id += 2) {
        streams.writeHeaders(stream(id), headers("/s" + id), true);
        streams.flush();
      }
      during[1] = flushes.get();
    }).sync();
    // Nothing was flushed while the round ran; once what it wrote has arrived, one flush sent it.
    // (Not asked of a task submitted after this one: the loop may take that in the same round,
    // before the round's tail.)
    assertThat(during[1]).isEqualTo(during[0]);
    await().atMost(Duration.ofSeconds(10)).until(() -> receivedText().contains("/s9"));
    assertThat(loop.submit(flushes::get).get(10, TimeUnit.SECONDS)).isEqualTo(during[0] + 1);
  }

  @Test
  void aCloseRightAfterTheWritesSendsThemFirst() throws Exception {
    loop.submit(() -> {
      Http2Stream s = stream(1);
      streams.writeHeaders(s, headers("/before-the-close"), false);
      streams.writeData(s, Unpooled.copiedBuffer("the body's last words", StandardCharsets.US_ASCII), true);
      streams.flush();
      client.close();
    }).sync();
    await().atMost(Duration.ofSeconds(10)).until(() -> receivedText().contains("the body's last words"));
    assertThat(receivedText()).contains("/before-the-close");
  }

  @Test
  void aResetRightAfterTheWritesSendsThemFirst() throws Exception {
    loop.submit(() -> {
      Http2Stream s = stream(1);
      streams.writeHeaders(s, headers("/cut"), false);
      streams.writeData(s, Unpooled.copiedBuffer("what was relayed", StandardCharsets.US_ASCII), false);
      streams.flush();
      streams.reset(s, io.netty.handler.codec.http2.Http2Error.CANCEL);
    }).sync();
    await().atMost(Duration.ofSeconds(10)).until(() -> receivedText().contains("what was relayed"));
  }

  private Http2Stream stream(int id) {
    try {
      return streams.connection().local().createStream(id, false);
    } catch (Http2Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Request headers whose path shows in the frames as it is (Netty's HPACK encoder writes new header values literally). */
  private static DefaultHttp2Headers headers(String path) {
    DefaultHttp2Headers h = new DefaultHttp2Headers();
    h.method("GET").scheme("http").authority("test").path(path);
    return h;
  }

  private String receivedText() {
    synchronized (received) {
      return received.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
