package io.stc.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.stc.Clock;
import io.stc.config.StcConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a client connection's pipeline is built for the protocol it speaks: HTTP/1.x, HTTP/2 over
 * TLS by ALPN, and cleartext HTTP/2 by prior knowledge (the connection preface) or by
 * {@code Upgrade: h2c}. Every HTTP/1.x request and every HTTP/2 stream ends at a
 * {@link ClientConnection} (a stream's by way of {@link Http2ClientStreams}).
 */
final class ClientPipelines {
  /** Streams a client may have open at once on one HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  static final int MAX_STREAMS_PER_CONNECTION = 128;

  private static final Logger log = LoggerFactory.getLogger(ClientPipelines.class);
  private final ProxyServer proxy;
  private final StcConfig config;
  private final Clock clock;
  private final long headNanos;
  private final long idleNanos;

  ClientPipelines(ProxyServer proxy, StcConfig config, Clock clock) {
    this.proxy = proxy;
    this.config = config;
    this.clock = clock;
    this.headNanos = config.timeouts().header().toNanos();
    this.idleNanos = config.timeouts().idle().toNanos();
  }

  /** A plain-HTTP connection: HTTP/1.x, or cleartext HTTP/2 when {@code h2c} is on. */
  void plain(ChannelPipeline p) {
    // The latest reload's: a connection opened from now on goes by it.
    if (!proxy.settings.h2c()) {
      http1(p, false, false);
      return;
    }
    ClientTimeouts timeouts = new ClientTimeouts(clock, headNanos, idleNanos);
    p.addLast("timeouts", timeouts).addLast("sniff", new PriorKnowledgeDetector(
        pipeline -> {
          // The connection preface: HTTP/2 from the first byte, without the HTTP/1 handlers.
          pipeline.remove("timeouts");
          http2(pipeline, "http", false);
        },
        pipeline -> pipeline.addLast("codec", newDecoder())
            .addLast("proxy", new ClientConnection(proxy, timeouts, "http", false))));
  }

  /** A TLS connection behind {@code tls} (the listener's TLS handler): HTTP/2 or HTTP/1.1, as ALPN decides. */
  void secure(ChannelPipeline p, io.netty.channel.ChannelHandler tls, boolean refuse) {
    p.addLast("tls", tls)
        .addLast("alpn", new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
          @Override
          protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            // A client that does not trust us, or speaks plain HTTP to a TLS port: routine, not a stack trace.
            log.debug("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
          }

          @Override
          protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
              http2(ctx.pipeline(), "https", refuse);
            } else {
              http1(ctx.pipeline(), true, refuse);
            }
          }
        });
  }

  /** A connection to {@code tls.redirect_port}: each request is sent to the TLS listener on {@code tlsPort}. */
  void redirect(ChannelPipeline p, int tlsPort) {
    ClientTimeouts timeouts = new ClientTimeouts(clock, headNanos, idleNanos);
    p.addLast("timeouts", timeouts)
        .addLast("codec", newDecoder())
        .addLast("redirect", new HttpsRedirect(tlsPort, timeouts, clock, () -> proxy.settings.errorPages()));
  }

  /** @param refuse the connection is over a limit: its first request is answered 503 and it closes */
  private void http1(ChannelPipeline p, boolean secure, boolean refuse) {
    ClientTimeouts timeouts = new ClientTimeouts(clock, headNanos, refuse ? Math.min(idleNanos, headNanos) : idleNanos);
    p.addLast("timeouts", timeouts)
        .addLast("codec", newDecoder())
        .addLast("proxy", new ClientConnection(proxy, timeouts, secure ? "https" : "http", refuse));
  }

  private RequestDecoder newDecoder() {
    StcConfig.Limits limits = config.limits();
    return new RequestDecoder(limits.uri(), limits.headerSize(), limits.headers(), limits.body());
  }

  /** HTTP/2 from clients: each stream becomes an exchange on the connection's event loop. */
  private void http2(ChannelPipeline p, String scheme, boolean refuse) {
    Http2ClientStreams streams = newHttp2Handler(scheme, refuse);
    p.addLast("h2", streams)
        .addLast("h2-idle-close", new Http2IdleClose(streams.connection(), idleNanos))
        .addLast("h2-errors", Http2ConnectionErrors.INSTANCE);
  }

  /**
   * The server side of a client's HTTP/2 connection. Its limits are what keeps one connection from
   * taking the process: streams at once as nginx allows (128), a header list as large as an
   * HTTP/1.1 head may be (which also bounds a CONTINUATION flood), and Netty's rapid-reset guard
   * (CVE-2023-44487: more than 200 RST_STREAMs in 30 s closes the connection with GOAWAY).
   */
  private Http2ClientStreams newHttp2Handler(String scheme, boolean refuse) {
    StcConfig.Limits limits = config.limits();
    return Http2ClientStreams.create(proxy, scheme, refuse, MAX_STREAMS_PER_CONNECTION,
        limits.headerSize() + 32L * limits.headers(), 200, 30, clock);
  }

  /**
   * Switches an HTTP/1.1 connection to HTTP/2 on an {@code Upgrade: h2c} request (RFC 7540 3.2)
   * without a body: answers 101, replaces the HTTP/1 handlers with HTTP/2 ones, and hands the
   * request on as stream 1, whose response goes out as HTTP/2. False, with nothing changed, when
   * h2c is off or the request does not ask for it properly (it is then served as HTTP/1.1).
   *
   * @param ctx the HTTP/1 connection handler's context
   */
  boolean upgrade(ChannelHandlerContext ctx, FullHttpRequest req) {
    if (!proxy.settings.h2c() || !isUpgradeToH2c(req)) {
      return false;
    }
    Http2ClientStreams streams = newHttp2Handler("http", false);
    Http2ServerUpgradeCodec upgrade = new Http2ServerUpgradeCodec("h2", streams);
    // Checks and decodes HTTP2-Settings; refused settings mean no switch.
    if (!upgrade.prepareUpgradeResponse(ctx, req, new DefaultHttpHeaders())) {
      return false;
    }
    ctx.write(Unpooled.wrappedBuffer(SWITCHING));
    // The handler sends its SETTINGS as it is added: after the 101, before anything else.
    upgrade.upgradeTo(ctx, req);
    ChannelPipeline p = ctx.pipeline();
    p.addAfter("h2", "h2-idle-close", new Http2IdleClose(streams.connection(), idleNanos))
        .addLast("h2-errors", Http2ConnectionErrors.INSTANCE);
    p.remove(ctx.handler());
    // Bytes after the request (the client's preface, once it read the 101) go on to the codec.
    p.remove("codec");
    p.remove("timeouts");
    ChannelHandlerContext h2Ctx = p.context(streams);
    // Stream 1 exists, half-closed by the client: its request arrives as if it came as HEADERS.
    req.headers().set(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), "http");
    try {
      streams.decoder().frameListener().onHeadersRead(
          h2Ctx, Http2CodecUtil.HTTP_UPGRADE_STREAM_ID, HttpConversionUtil.toHttp2Headers(req, true), 0, true);
    } catch (Http2Exception e) {
      h2Ctx.fireExceptionCaught(e);
      h2Ctx.close();
    }
    streams.flush();
    return true;
  }

  private static final byte[] SWITCHING =
      ResponseHead.ascii("HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: h2c\r\n\r\n");

  /** Upgrade names h2c, Connection names Upgrade and HTTP2-Settings, and there is one HTTP2-Settings. */
  private static boolean isUpgradeToH2c(HttpRequest req) {
    HttpHeaders h = req.headers();
    return req.protocolVersion().equals(HttpVersion.HTTP_1_1)
        && h.containsValue(HttpHeaderNames.UPGRADE, Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, true)
        && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
        && h.containsValue(HttpHeaderNames.CONNECTION, Http2CodecUtil.HTTP_UPGRADE_SETTINGS_HEADER, true)
        && h.getAll(Http2CodecUtil.HTTP_UPGRADE_SETTINGS_HEADER).size() == 1;
  }
}
