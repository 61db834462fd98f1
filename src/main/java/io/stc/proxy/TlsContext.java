package io.stc.proxy;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.stc.config.StcConfig;
import java.io.File;
import javax.net.ssl.SSLException;

/** Builds the data listener's TLS context: PEM certificate and key, HTTP/2 and HTTP/1.1 offered by ALPN. */
final class TlsContext {
  private TlsContext() {}

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
