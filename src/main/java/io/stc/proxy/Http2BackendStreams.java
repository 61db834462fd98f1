package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * A backend's HTTP/2 connection: Netty's connection handler with a frame listener that hands each
 * stream's HEADERS, DATA and resets to the {@link Http2Link} that opened it, and the writes links
 * make. A stream costs no child channel, pipeline, frame objects or events (the cost of Netty's
 * multiplex handler on every gRPC call); grpc-java's Netty client is built the same way. The
 * backend's DATA is given back to its windows only as the link's exchange passes it on, so a slow
 * client slows the backend's stream instead of piling its response up here.
 */
final class Http2BackendStreams extends Http2StreamsHandler {
  /** SETTINGS and PING acknowledgements unwritten before the connection ends: Netty's default. */
  private static final int MAX_UNWRITTEN_CONTROL_FRAMES = 10_000;
  private final Http2BackendConnection owner;
  /** Each open stream's link, as a property of Netty's stream. */
  private final Http2Connection.PropertyKey linkKey;

  private Http2BackendStreams(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
      boolean decoupleCloseAndGoAway, boolean flushPreface, Http2BackendConnection owner) {
    super(decoder, encoder, settings, decoupleCloseAndGoAway, flushPreface);
    this.owner = owner;
    this.linkKey = connection().newKey();
    decoder.frameListener(new Frames());
    connection().addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamClosed(Http2Stream stream) {
        Http2Link link = stream.removeProperty(linkKey);
        if (link != null) {
          link.streamClosed(stream.id());
        }
      }

      @Override
      public void onGoAwayReceived(int lastStreamId, long errorCode, ByteBuf debugData) {
        // Streams up to its last id run to their end (Netty closes the others next); none opens here again.
        owner.drain();
      }
    });
    connection().remote().flowController().listener(stream -> {
      Http2Link link = stream.getProperty(linkKey);
      if (link != null) {
        link.writabilityChanged();
      }
    });
  }

  /** The handler for a new connection to the backend {@code owner} stands for: no pushes, Netty's limits otherwise. */
  static Http2BackendStreams create(Http2BackendConnection owner) {
    Http2Connection connection = Http2CodecBuilder.connection(false);
    // The connection's window refills as data arrives; only a stream's own waits on its client.
    // Else clients that stop reading would hold the connection's window between them, and every
    // other stream on the connection would stall behind them.
    refillConnectionWindow(connection);
    // Resets stc sends a backend are its own (CANCEL), never counted; the clock goes unused.
    Http2ConnectionEncoder encoder = new Http2SendLimits(
        new DefaultHttp2ConnectionEncoder(connection, new CompactHttp2FrameWriter()),
        MAX_UNWRITTEN_CONTROL_FRAMES, Integer.MAX_VALUE, 30, System::nanoTime);
    Http2ConnectionDecoder decoder = new DefaultHttp2ConnectionDecoder(connection, encoder, new DefaultHttp2FrameReader(true));
    return new Http2CodecBuilder<Http2BackendStreams>((d, e, s, decouple, flushPreface) ->
            new Http2BackendStreams(d, e, s, decouple, flushPreface, owner))
        // A backend refusing streams under load resets many: that is no attack on stc.
        .decoderEnforceMaxRstFramesPerWindow(0, 0)
        .codec(decoder, encoder)
        .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
        .build();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    // The preface goes first, then the connection window's increase.
    super.channelActive(ctx);
    widenConnectionWindow(ctx);
  }

  @Override
  LoopContext loopContext() {
    return owner.loop();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    // Netty closes every stream as the connection goes (each link hears it); then the links still waiting.
    super.channelInactive(ctx);
    owner.closed();
  }

  @Override
  protected void onStreamError(ChannelHandlerContext ctx, boolean outbound, Throwable cause, Http2Exception.StreamException e) {
    if (!outbound) {
      // What the backend sent on the stream broke the protocol (a connection-specific field in its
      // head, DATA beyond its Content-Length, ...): the 502 says bad_response, not backend_closed.
      Http2Stream stream = connection().stream(e.streamId());
      Http2Link link = stream == null ? null : stream.getProperty(linkKey);
      if (link != null) {
        link.onMalformed();
      }
    }
    super.onStreamError(ctx, outbound, cause, e);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
      // A protocol error: Netty answers it (RST_STREAM, or GOAWAY and close).
      super.exceptionCaught(ctx, cause);
    } else {
      ctx.close();
    }
  }

  /**
   * Opens a stream for the link with the request's HEADERS (not flushed); null when none could be
   * opened (the connection ran out of stream ids, or the write failed at once), which the backend
   * then never saw.
   */
  Http2Stream open(Http2Link link, Http2Headers headers, boolean endStream, ChannelFutureListener written) {
    int id = connection().local().incrementAndGetNextStreamId();
    if (id <= 0) {
      owner.drain();
      return null;
    }
    encoder().writeHeaders(ctx, id, headers, 0, endStream, ctx.newPromise()).addListener(written);
    Http2Stream stream = connection().stream(id);
    if (stream != null) {
      stream.setProperty(linkKey, link);
    }
    return stream;
  }

  private Http2Link linkOf(int streamId) {
    Http2Stream stream = connection().stream(streamId);
    Http2Link link = stream == null ? null : stream.getProperty(linkKey);
    if (link != null && !link.inRead) {
      link.inRead = true;
      readDuring(link);
    }
    return link;
  }

  /** The decoder's frames, stream by stream; the connection's own (SETTINGS, GOAWAY) for the connection. */
  private final class Frames extends Http2FrameAdapter {
    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean endOfStream) {
      Http2Link link = linkOf(streamId);
      if (link != null) {
        link.onHeaders(headers, endOfStream);
      }
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
        short weight, boolean exclusive, int padding, boolean endOfStream) {
      onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
      dataReceived(data.readableBytes() + padding);
      Http2Link link = linkOf(streamId);
      if (link == null) {
        return data.readableBytes() + padding;
      }
      // The padding goes back at once; the data as the exchange takes it on.
      int taken = link.onData(data, endOfStream);
      if (taken > 0 && !endOfStream) {
        keepingUp(connection().stream(streamId));
      }
      return padding + taken;
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) {
      pingAcknowledged(data);
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
      Http2Link link = linkOf(streamId);
      if (link != null) {
        link.onReset(errorCode);
      }
    }

    @Override
    public void onPushPromiseRead(ChannelHandlerContext ctx, int streamId, int promisedStreamId, Http2Headers headers,
        int padding) {
      // Push is off in stc's SETTINGS; a backend that pushes before it has seen them gets the stream cancelled.
      resetStream(ctx, promisedStreamId, Http2Error.CANCEL.code(), ctx.newPromise());
    }

    @Override
    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
      owner.settled();
    }
  }
}
