package io.stc.config;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.time.Duration;
import java.util.List;

/**
 * TLS: on the data listener (HTTP/2 and HTTP/1.1 by ALPN) when {@code certificates} is not empty,
 * and to backends when {@code backends} is set, trusting {@code backendCa} (PEM; null = the JDK's
 * trust store) and checking their host names unless {@code backendVerify} is false.
 *
 * @param certificates the listener's certificates; the first is the default, the others are chosen
 *     by the name a client asks for (SNI), an ECDSA one over an RSA one where the client can use it
 * @param provider {@code auto} (OpenSSL where its native library loads, else the JDK), {@code openssl} or {@code jdk}
 * @param protocols the TLS versions offered, of {@code TLSv1.2} and {@code TLSv1.3}
 * @param clientCa PEM certificates that client certificates must chain to, or null
 * @param hsts the Strict-Transport-Security value added to every response, or null for none
 * @param watch whether changed certificate files are picked up without a reload
 */
@RecordBuilder
public record TlsConfig(
    List<Certificate> certificates,
    String provider,
    List<String> protocols,
    ClientAuth clientAuth,
    String clientCa,
    Sessions sessions,
    String hsts,
    boolean watch,
    boolean backends,
    String backendCa,
    boolean backendVerify,
    int redirectPort,
    int redirectHttpsPort) implements TlsConfigBuilder.With {

  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  public TlsConfig {
    certificates = List.copyOf(certificates);
    protocols = List.copyOf(protocols);
  }

  /** One certificate of the listener. */
  public record Certificate(String cert, String key, List<String> names) {
    /**
     * @param key the private key's file, or null when {@code cert} holds it too
     * @param names host names it is chosen for, lower case; empty = the names the certificate lists
     */
    public Certificate {
      names = List.copyOf(names);
    }
  }

  /** Whether and how clients must present a certificate. */
  public enum ClientAuth { NONE, OPTIONAL, REQUIRED }

  /**
   * Session resumption, unless {@code resumption} is off: a server-side cache of {@code cacheSize}
   * sessions, and tickets whose keys live in {@code ticketKeys} (null = {@code
   * state_dir/tls-ticket-keys}), a new one every {@code ticketKeyRotation}; sessions last {@code timeout}.
   */
  public record Sessions(boolean resumption, int cacheSize, Duration timeout, String ticketKeys, Duration ticketKeyRotation) {
    public static Sessions defaults() {
      return new Sessions(true, 20_000, Duration.ofMinutes(5), null, Duration.ofHours(1));
    }

    /** Every handshake a full one: no tickets, no cache. */
    public static Sessions none() {
      return new Sessions(false, 1, Duration.ofMinutes(5), null, Duration.ofHours(1));
    }
  }

  /** The listener on {@code cert} and {@code key} with every other setting at its default. */
  public TlsConfig(String cert, String key) {
    this(cert == null ? List.of() : List.of(new Certificate(cert, key, List.of())),
        "auto", PROTOCOLS, ClientAuth.NONE, null, Sessions.defaults(), null, true, false, null, true, NO_REDIRECT, 0);
  }

  /** {@code redirect_port} absent: no plain listener redirects to the TLS one. */
  public static final int NO_REDIRECT = -1;

  /** Whether a plain listener on {@link #redirectPort()} sends clients to the TLS listener. */
  public boolean redirects() {
    return redirectPort != NO_REDIRECT;
  }

  /** No TLS anywhere. */
  public static TlsConfig defaults() {
    return new TlsConfig(null, null);
  }

  /** Whether the listener speaks TLS. */
  public boolean enabled() {
    return !certificates.isEmpty();
  }
}
