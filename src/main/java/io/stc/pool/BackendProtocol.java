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
