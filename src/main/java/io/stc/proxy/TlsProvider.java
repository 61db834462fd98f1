package io.stc.proxy;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which TLS implementation the data plane uses: {@code tls.provider} resolved once per value, with
 * one log line saying which and, when {@code auto} falls back to the JDK, why.
 */
final class TlsProvider {
  private static final Logger log = LoggerFactory.getLogger(TlsProvider.class);
  private static final Map<String, SslProvider> RESOLVED = new ConcurrentHashMap<>();

  static {
    // The JDK's TLS 1.2 engine lets a client renegotiate (testssl.sh: "DoS threat"); this is the
    // switch that refuses it. It is read once, when the JDK's first server handshake loads its
    // classes, so it is set here, before stc builds any server context. BoringSSL never
    // renegotiates as a server, and TLS 1.3 has no renegotiation at all.
    if (System.getProperty("jdk.tls.rejectClientInitiatedRenegotiation") == null) {
      System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
    }
  }

  private TlsProvider() {}

  /**
   * The implementation for {@code name} ({@code auto}, {@code openssl} or {@code jdk}).
   *
   * @throws IllegalStateException for {@code openssl} when its native library does not load here
   */
  static SslProvider of(String name) {
    return RESOLVED.computeIfAbsent(name, TlsProvider::resolve);
  }

  /** A short name for logs and metrics: openssl or jdk. */
  static String label(SslProvider p) {
    return p == SslProvider.JDK ? "jdk" : "openssl";
  }

  private static SslProvider resolve(String name) {
    switch (name) {
      case "jdk" -> {
        log.info("TLS provider: jdk (tls.provider: jdk)");
        return SslProvider.JDK;
      }
      case "openssl" -> {
        if (!OpenSsl.isAvailable()) {
          throw new IllegalStateException("tls.provider openssl: the native library does not load here: "
              + OpenSsl.unavailabilityCause());
        }
        log.info("TLS provider: openssl ({}, tls.provider: openssl)", OpenSsl.versionString());
        return SslProvider.OPENSSL;
      }
      case "auto" -> {
        if (OpenSsl.isAvailable()) {
          log.info("TLS provider: openssl ({}, tls.provider: auto)", OpenSsl.versionString());
          return SslProvider.OPENSSL;
        }
        Throwable cause = OpenSsl.unavailabilityCause();
        log.info("TLS provider: jdk (tls.provider: auto; OpenSSL is not available: {})",
            cause == null ? "unknown reason" : cause.getMessage());
        return SslProvider.JDK;
      }
      default -> throw new IllegalArgumentException("tls.provider: expected auto, openssl or jdk, got '" + name + "'");
    }
  }
}
