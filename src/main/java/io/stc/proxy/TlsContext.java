package io.stc.proxy;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.stc.config.PemKeyPair;
import io.stc.config.TlsConfig;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;

/** Builds the TLS contexts: one per listener certificate (HTTP/2 and HTTP/1.1 offered by ALPN), and the one for backends. */
final class TlsContext {
  private TlsContext() {}

  /**
   * The context for connections to backends: the configured trust, no client certificate, and
   * these protocols offered by ALPN (none: HTTP/1.1 without ALPN).
   */
  static SslContext forBackends(TlsConfig tls, String... alpn) {
    try {
      SslContextBuilder b = SslContextBuilder.forClient()
          .sslProvider(TlsProvider.of(tls.provider()))
          .protocols(tls.protocols());
      if (alpn.length > 0) {
        b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
      }
      if (!tls.backendVerify()) {
        b.trustManager(InsecureTrustManagerFactory.INSTANCE);
      } else if (tls.backendCa() != null) {
        b.trustManager(PemKeyPair.trusted(Path.of(tls.backendCa())));
      }
      if (tls.backendVerify()) {
        b.endpointIdentificationAlgorithm("HTTPS");
      }
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalStateException("tls.backend_ca: cannot use " + tls.backendCa() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The context for one of the listener's certificates.
   *
   * @param clientCa the certificates client certificates must chain to, or null when none are asked for
   */
  static SslContext forListener(PemKeyPair pair, TlsConfig tls, SslProvider provider, List<X509Certificate> clientCa)
      throws SSLException {
    SslContextBuilder b = SslContextBuilder.forServer(pair.key(), pair.chain().toArray(new X509Certificate[0]))
        .sslProvider(provider)
        .protocols(tls.protocols())
        .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
        .sessionCacheSize(tls.sessions().cacheSize())
        .sessionTimeout(tls.sessions().timeout().toSeconds())
        .applicationProtocolConfig(new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2,
            ApplicationProtocolNames.HTTP_1_1));
    if (clientCa != null) {
      b.trustManager(clientCa).clientAuth(tls.clientAuth() == TlsConfig.ClientAuth.REQUIRED ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
    }
    return b.build();
  }
}
