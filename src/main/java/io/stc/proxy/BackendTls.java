package io.stc.proxy;

import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.stc.config.TlsConfig;

/**
 * The TLS contexts for connections to backends, one per ALPN offer: HTTP/1.1 backends get none,
 * h2 backends h2 alone, and auto backends both (then what the backend picked is remembered).
 */
record BackendTls(SslContext http1, SslContext h2, SslContext auto) {
  static BackendTls of(TlsConfig tls) {
    return new BackendTls(
        TlsContext.forBackends(tls),
        TlsContext.forBackends(tls, ApplicationProtocolNames.HTTP_2),
        TlsContext.forBackends(tls, ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
  }
}
