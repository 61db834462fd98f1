package io.stc.proxy;

import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;

/**
 * Netty's HTTP/2 frame codec as stc builds it for connections to backends: the streams' DATA
 * share the connection's send window evenly, as HAProxy and nginx share it, rather than by
 * priority weights (RFC 9113 deprecates the priority scheme, and weighing it is work on every
 * write). Clients' connections are {@link Http2ClientStreams}, with the same sharing.
 */
final class Http2CodecBuilder extends Http2FrameCodecBuilder {
  private Http2CodecBuilder() {
    connection(connection(false));
  }

  @Override
  public boolean isServer() {
    // Netty will not take both a connection and a server flag; the flag is answered here.
    return false;
  }

  /** An HTTP/2 connection whose streams share the send window evenly. */
  static Http2Connection connection(boolean server) {
    DefaultHttp2Connection connection = new DefaultHttp2Connection(server);
    connection.remote().flowController(new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
    return connection;
  }

  /** For a connection to a backend. */
  static Http2CodecBuilder forBackends() {
    return new Http2CodecBuilder();
  }
}
