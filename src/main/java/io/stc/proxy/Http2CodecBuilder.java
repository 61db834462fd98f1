package io.stc.proxy;

import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;

/**
 * Netty's builder for stc's HTTP/2 connection handlers ({@link Http2ClientStreams}, {@link Http2BackendStreams}),
 * given their encoder and decoder: it adds the decoder's guards and sets the handler up. Their
 * connections share the send window evenly between streams, as HAProxy and nginx share it, rather
 * than by priority weights (RFC 9113 deprecates the priority scheme, and weighing it is work on
 * every write).
 */
final class Http2CodecBuilder<T extends Http2ConnectionHandler>
    extends AbstractHttp2ConnectionHandlerBuilder<T, Http2CodecBuilder<T>> {
  /** Makes the handler from what the builder prepared. */
  interface Factory<T> {
    T create(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
        boolean decoupleCloseAndGoAway, boolean flushPreface);
  }

  private final Factory<T> factory;

  Http2CodecBuilder(Factory<T> factory) {
    this.factory = factory;
  }

  /** An HTTP/2 connection whose streams share the send window evenly. */
  static Http2Connection connection(boolean server) {
    DefaultHttp2Connection connection = new DefaultHttp2Connection(server);
    connection.remote().flowController(new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
    return connection;
  }

  @Override
  public Http2CodecBuilder<T> codec(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder) {
    return super.codec(decoder, encoder);
  }

  @Override
  public Http2CodecBuilder<T> initialSettings(Http2Settings settings) {
    return super.initialSettings(settings);
  }

  @Override
  public Http2CodecBuilder<T> decoderEnforceMaxRstFramesPerWindow(int maxRstFramesPerWindow, int secondsPerWindow) {
    return super.decoderEnforceMaxRstFramesPerWindow(maxRstFramesPerWindow, secondsPerWindow);
  }

  @Override
  public T build() {
    return super.build();
  }

  @Override
  protected T build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
    return factory.create(decoder, encoder, settings, decoupleCloseAndGoAway(), flushPreface());
  }
}
