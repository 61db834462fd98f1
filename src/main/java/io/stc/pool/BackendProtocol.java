package io.stc.pool;

import java.util.Locale;

/** What a backend speaks: HTTP/1.1, HTTP/2 over TLS, cleartext HTTP/2, or (over TLS) whatever ALPN settles. */
public enum BackendProtocol {
  HTTP1("http1"),
  H2("h2"),
  H2C("h2c"),
  /** TLS backends only: offer h2 and http/1.1 by ALPN and use what the backend picks. */
  AUTO("auto");

  private final String configName;

  BackendProtocol(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  /**
   * Why this protocol cannot be used with TLS to backends on ({@code tls.backends}) or off, or null
   * when it can: h2 and auto are HTTP/2 over TLS, h2c is HTTP/2 without it.
   */
  public String conflictWithTls(boolean tlsToBackends) {
    if ((this == H2 || this == AUTO) && !tlsToBackends) {
      return configName + " is HTTP/2 over TLS, but tls.backends is false (h2c is HTTP/2 without TLS)";
    }
    if (this == H2C && tlsToBackends) {
      return "h2c is HTTP/2 without TLS, but tls.backends is true (h2 is HTTP/2 over TLS)";
    }
    return null;
  }

  /**
   * The protocol named {@code s} (http1, h2, h2c or auto, any case).
   *
   * @throws IllegalArgumentException naming the choices otherwise
   */
  public static BackendProtocol parse(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    for (BackendProtocol p : values()) {
      if (p.configName.equals(t)) {
        return p;
      }
    }
    throw new IllegalArgumentException("expected http1, h2, h2c or auto, got '" + s + "'");
  }
}
