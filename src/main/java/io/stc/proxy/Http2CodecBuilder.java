package io.stc.proxy;

import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;

/**
 * Netty's HTTP/2 frame codec as stc builds it, for clients' connections and for backends': the
 * streams' DATA share the connection's send window evenly, as HAProxy and nginx share it, rather
 * than by priority weights (RFC 9113 deprecates the priority scheme, and weighing it is work on
 * every write).
 */
final class Http2CodecBuilder extends Http2FrameCodecBuilder {
  private final boolean server;

  private Http2CodecBuilder(boolean server) {
    // Netty will not take both a connection and a server flag; the flag is answered below.
    this.server = server;
    DefaultHttp2Connection connection = new DefaultHttp2Connection(server);
    connection.remote().flowController(new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
    connection(connection);
  }

  @Override
  public boolean isServer() {
    return server;
  }

  /** For a client's connection to the listener. */
  static Http2CodecBuilder forClients() {
    return new Http2CodecBuilder(true);
  }

  /** For a connection to a backend. */
  static Http2CodecBuilder forBackends() {
    return new Http2CodecBuilder(false);
  }
}
