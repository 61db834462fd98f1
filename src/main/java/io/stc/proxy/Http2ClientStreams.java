package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2FrameReader;
import io.netty.handler.codec.http2.Http2PromisedRequestVerifier;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.stc.Clock;
import java.util.ArrayDeque;

/**
 * A client's HTTP/2 connection: Netty's connection handler (framing, HPACK, flow control, the
 * protocol's limits) with a frame listener that hands each stream's headers and DATA to a
 * {@link ClientConnection} of its own, and the writes that streams ask for (HEADERS, DATA, resets,
 * window updates) on the connection. Streams get no channel, no frame objects and no events through
 * the pipeline: a child channel per stream (Netty's multiplex handler) or the frame codec's frame and
 * event objects cost allocations and pipeline walks for every request; HAProxy and nginx pay nothing
 * like it. grpc-java's Netty transport is built the same way.
 */
final class Http2ClientStreams extends Http2StreamsHandler {
  /** Answers (SETTINGS and PING acknowledgements, resets) unwritten before the connection ends: Netty's default. */
  private static final int MAX_UNWRITTEN_CONTROL_FRAMES = 10_000;

  private final ProxyServer proxy;
  private final String scheme;
  /** The connection is over a limit: every stream is answered 503. */
  private final boolean refuse;
  /** Each open stream's handler, as a property of Netty's stream. */
  private final Http2Connection.PropertyKey handlerKey;
  /** Streams' handlers whose streams closed, for the next streams to reuse. */
  private final ArrayDeque<ClientConnection> idle = new ArrayDeque<>();
  private LoopContext loop;
  private String clientIp;
  private String clientCert;

  private Http2ClientStreams(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
      boolean decoupleCloseAndGoAway, boolean flushPreface, ProxyServer proxy, String scheme, boolean refuse) {
    super(decoder, encoder, settings, decoupleCloseAndGoAway, flushPreface);
    this.proxy = proxy;
    this.scheme = scheme;
    this.refuse = refuse;
    this.handlerKey = connection().newKey();
    decoder.frameListener(new Frames());
    connection().addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamClosed(Http2Stream stream) {
        closed(stream);
      }
    });
    connection().remote().flowController().listener(stream -> {
      ClientConnection c = stream.getProperty(handlerKey);
      if (c != null) {
        c.streamWritabilityChanged();
      }
    });
  }

  /**
   * The handler for a client's connection. Its limits are what keeps one connection from taking the
   * process: streams at once, the header list's size (which also bounds a CONTINUATION flood), resets
   * the client sends per window (CVE-2023-44487) and what it makes stc send ({@link Http2SendLimits}).
   */
  static Http2ClientStreams create(ProxyServer proxy, String scheme, boolean refuse, int maxStreams, long maxHeaderListSize,
      int maxResets, int resetWindowSeconds, Clock clock) {
    Http2Connection connection = Http2CodecBuilder.connection(true);
    refillConnectionWindow(connection);
    Http2ConnectionEncoder encoder = new Http2SendLimits(
        new DefaultHttp2ConnectionEncoder(connection, new CompactHttp2FrameWriter()),
        MAX_UNWRITTEN_CONTROL_FRAMES, maxResets, resetWindowSeconds, clock);
    Http2FrameReader reader = new Http2StreamStates(
        new DefaultHttp2FrameReader(new DefaultHttp2HeadersDecoder(true, maxHeaderListSize)), connection);
    // Netty's defaults otherwise: SETTINGS and PING answered, fields validated, the required
    // pseudo-header fields present (RFC 9113 8.3.1); Http2StreamRequest checks what they hold.
    Http2ConnectionDecoder decoder = new DefaultHttp2ConnectionDecoder(connection, encoder, reader,
        Http2PromisedRequestVerifier.ALWAYS_VERIFY, true, true, true, true);
    // The decoder's guards are set before the codec: Netty refuses them after it.
    return new Http2CodecBuilder<Http2ClientStreams>((d, e, s, decouple, flushPreface) ->
            new Http2ClientStreams(d, e, s, decouple, flushPreface, proxy, scheme, refuse))
        .decoderEnforceMaxRstFramesPerWindow(maxResets, resetWindowSeconds)
        .codec(decoder, encoder)
        .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(maxStreams).maxHeaderListSize(maxHeaderListSize))
        .build();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.loop = proxy.loopContext(ctx.channel().eventLoop());
    this.clientIp = ClientConnection.clientIp(ctx.channel());
    this.clientCert = proxy.settings.forwardClientCert() ? ClientCertificate.of(ctx.channel()) : null;
    // The handler comes in once the client's preface (or its upgrade request) was read: the
    // channel is active, and Netty sends stc's SETTINGS here, before the window's increase.
    super.handlerAdded(ctx);
    widenConnectionWindow(ctx);
  }

  /** The client's verified certificate as backends are told of it, or null. */
  String clientCert() {
    return clientCert;
  }

  @Override
  LoopContext loopContext() {
    return loop;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    // Netty closes every stream as the connection goes (each closed() here); the idle handlers go too.
    super.channelInactive(ctx);
    for (ClientConnection c; (c = idle.pollLast()) != null; ) {
      c.connectionClosed();
    }
  }

  private ClientConnection open(Http2Stream stream) {
    ClientConnection c = idle.pollLast();
    if (c == null) {
      c = new ClientConnection(proxy, this, ctx, stream, scheme, refuse, loop, clientIp);
    } else {
      c.reuseFor(stream);
    }
    stream.setProperty(handlerKey, c);
    return c;
  }

  private void closed(Http2Stream stream) {
    ClientConnection c = stream.removeProperty(handlerKey);
    if (c == null) {
      return;
    }
    c.streamClosed();
    if (ctx.channel().isActive()) {
      idle.addLast(c);
    } else {
      c.connectionClosed();
    }
  }

  private void reading(ClientConnection c) {
    if (!c.inRead) {
      readDuring(c);
    }
  }

  /** The decoder's frames, stream by stream; what a stream did not ask for is the connection handler's business. */
  private final class Frames extends Http2FrameAdapter {
    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean endOfStream) {
      Http2Stream stream = connection().stream(streamId);
      if (stream == null) {
        return;
      }
      ClientConnection c = stream.getProperty(handlerKey);
      if (c == null) {
        c = open(stream);
      }
      reading(c);
      c.streamHeaders(headers, endOfStream);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
        short weight, boolean exclusive, int padding, boolean endOfStream) {
      onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
      dataReceived(data.readableBytes() + padding);
      Http2Stream stream = connection().stream(streamId);
      ClientConnection c = stream == null ? null : stream.getProperty(handlerKey);
      if (c == null) {
        return data.readableBytes() + padding;
      }
      reading(c);
      c.streamData(data.retain(), endOfStream);
      // The padding goes back to the client's windows at once; the data as the exchange takes it.
      return padding;
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) {
      pingAcknowledged(data);
    }
  }
}
