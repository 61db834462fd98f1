package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.stc.config.TlsConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendProtocol;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestServer;
import io.stc.testing.RawBackend;
import io.stc.testing.TestCluster;
import io.stc.testing.TestPki;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTP/2 to backends over TLS: h2 agreed by ALPN, and auto settling on what each backend picks. */
class Http2TlsBackendsTest {
  @TempDir Path dir;

  private SslContext serverTls(TestPki.Issued cert, String... alpn) throws Exception {
    return SslContextBuilder.forServer(cert.certFile().toFile(), cert.keyFile().toFile())
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn))
        .build();
  }

  private static TestCluster trusting(TestPki pki) throws InterruptedException {
    return TestCluster.of(0, cfg -> RawBackend.alone(cfg).withTls(TlsConfig.defaults().withBackends(true).withBackendCa(pki.caFile().toString()).withBackendVerify(true)));
  }

  @Test
  void h2BackendsAreReachedOverTlsWithAlpn() throws Exception {
    TestPki pki = TestPki.create(dir, "ca");
    TestPki.Issued cert = pki.issue("backend", "EC", "localhost", "127.0.0.1");
    try (Http2TestServer h2 = new Http2TestServer(100, serverTls(cert, ApplicationProtocolNames.HTTP_2));
        TestCluster c = trusting(pki)) {
      c.stc.upstream().add("h2", "127.0.0.1", h2.port(), 1, BackendState.UP, BackendProtocol.H2);
      var r = c.get("/over-tls");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("/over-tls 0");
      assertThat(r.headers().firstValue("x-backend-version")).contains("h2");
      assertThat(h2.requests.get(0).scheme().toString()).isEqualTo("https");
    }
  }

  @Test
  void autoSettlesOnH2WhereTheBackendOffersItAndOnHttp11WhereNot() throws Exception {
    TestPki pki = TestPki.create(dir, "ca");
    TestPki.Issued cert = pki.issue("backend", "EC", "localhost", "127.0.0.1");
    try (Http2TestServer h2 = new Http2TestServer(100, serverTls(cert, ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
        Http11TlsServer h1 = new Http11TlsServer(serverTls(cert, ApplicationProtocolNames.HTTP_1_1));
        TestCluster c = trusting(pki)) {
      Backend auto2 = c.stc.upstream().add("auto-h2", "127.0.0.1", h2.port(), 1, BackendState.UP, BackendProtocol.AUTO);
      assertThat(auto2.protocolName()).isEqualTo("auto");
      for (int i = 0; i < 3; i++) {
        var r = c.get("/first-" + i);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("/first-" + i + " 0");
      }
      assertThat(auto2.protocolName()).isEqualTo("h2");
      // The first request went out once, as a stream, after ALPN chose h2.
      assertThat(h2.requests).hasSize(3);
      assertThat(c.stc.proxy().stats().requests()).isEqualTo(3);
      // One attempt each: going again as a stream once ALPN said h2 is the same attempt.
      String recent = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + c.stc.adminPort() + "/api/requests")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      assertThat(recent).contains("\"attempts\":1").doesNotContain("\"attempts\":2");

      c.stc.upstream().remove(auto2.id());
      Backend auto1 = c.stc.upstream().add("auto-h1", "127.0.0.1", h1.port(), 1, BackendState.UP, BackendProtocol.AUTO);
      var r = c.get("/second");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("http/1.1 /second");
      assertThat(auto1.protocolName()).isEqualTo("http1");
    }
  }

  /** A TLS server that speaks HTTP/1.1 only (its ALPN offers nothing else). */
  private static final class Http11TlsServer implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    Http11TlsServer(SslContext tls) throws InterruptedException {
      server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(tls.newHandler(ch.alloc()), new HttpServerCodec(), new HttpObjectAggregator(65536),
                  new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                      byte[] body = ("http/1.1 " + req.uri()).getBytes(StandardCharsets.UTF_8);
                      DefaultFullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                          Unpooled.wrappedBuffer(body));
                      resp.headers().setInt("content-length", body.length);
                      ctx.writeAndFlush(resp);
                    }
                  });
            }
          })
          .bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
      return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
      server.close().awaitUninterruptibly();
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }
}
