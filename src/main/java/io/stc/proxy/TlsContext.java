package io.stc.proxy;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.stc.config.StcConfig;
import java.io.File;
import javax.net.ssl.SSLException;

/** Builds the data listener's TLS context: PEM certificate and key, HTTP/2 and HTTP/1.1 offered by ALPN. */
final class TlsContext {
  private TlsContext() {}

  /** The context for connections to backends: HTTP/1.1, the configured trust, no client certificate. */
  static SslContext forBackends(StcConfig.Tls tls) {
    try {
      SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
      if (!tls.backendVerify()) {
        b.trustManager(InsecureTrustManagerFactory.INSTANCE);
      } else if (tls.backendCa() != null) {
        b.trustManager(new File(tls.backendCa()));
      }
      if (tls.backendVerify()) {
        b.endpointIdentificationAlgorithm("HTTPS");
      }
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalStateException("tls.backend_ca: cannot use " + tls.backendCa() + ": " + e.getMessage(), e);
    }
  }

  static SslContext forServer(StcConfig.Tls tls) {
    try {
      return SslContextBuilder.forServer(new File(tls.cert()), new File(tls.key()))
          .sslProvider(SslProvider.JDK)
          .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
          .applicationProtocolConfig(new ApplicationProtocolConfig(
              ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
              ApplicationProtocolNames.HTTP_2,
              ApplicationProtocolNames.HTTP_1_1))
          .build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalStateException("tls: cannot use " + tls.cert() + " / " + tls.key() + ": " + e.getMessage(), e);
    }
  }
}
