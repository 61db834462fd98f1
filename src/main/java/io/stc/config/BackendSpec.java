package io.stc.config;

import io.stc.config.StcConfig.BackendConfig;

/**
 * The {@code host:port[:weight]} form of a backend used by the {@code --backend} flag, with IPv6
 * addresses in brackets ({@code [::1]:8080}), or {@code unix:PATH} for one on a Unix domain
 * socket; also the limits every backend definition shares.
 */
public final class BackendSpec {
  public static final int MIN_PORT = 1;
  public static final int MAX_PORT = 65535;
  public static final int MAX_WEIGHT = 1000;
  public static final int DEFAULT_WEIGHT = 1;
  private static final String TOO_MANY_COLONS = "too many ':' (IPv6 addresses go in brackets, like [::1]:8080)";

  private BackendSpec() {}

  /** Parses {@code spec}; throws IllegalArgumentException with a message fit for the user. */
  public static BackendConfig parse(String spec) {
    String s = spec == null ? "" : spec.trim();
    if (s.isEmpty()) {
      throw bad(spec, "empty");
    }
    if (s.contains("://")) {
      throw bad(spec, "give host:port without a scheme");
    }
    if (io.stc.pool.Backend.isUnix(s)) {
      try {
        return new BackendConfig(unix(s.substring(io.stc.pool.Backend.UNIX.length())), 0, DEFAULT_WEIGHT);
      } catch (IllegalArgumentException e) {
        throw bad(spec, e.getMessage());
      }
    }
    String host;
    String rest;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw bad(spec, "missing ']' after the IPv6 address");
      }
      host = s.substring(1, close);
      rest = s.substring(close + 1);
      if (!rest.isEmpty() && !rest.startsWith(":")) {
        throw bad(spec, "expected ':' after ']'");
      }
      rest = rest.isEmpty() ? "" : rest.substring(1);
    } else {
      if (s.chars().filter(c -> c == ':').count() > 2) {
        throw bad(spec, TOO_MANY_COLONS);
      }
      int colon = s.indexOf(':');
      host = colon < 0 ? s : s.substring(0, colon);
      rest = colon < 0 ? "" : s.substring(colon + 1);
    }
    if (host.isBlank()) {
      throw bad(spec, "missing host");
    }
    if (rest.isEmpty()) {
      throw bad(spec, "missing port");
    }
    String[] parts = rest.split(":", -1);
    if (parts.length > 2) {
      throw bad(spec, TOO_MANY_COLONS);
    }
    int port = number(spec, "port", parts[0], MIN_PORT, MAX_PORT);
    int weight = parts.length == 2 ? number(spec, "weight", parts[1], 0, MAX_WEIGHT) : DEFAULT_WEIGHT;
    return new BackendConfig(host, port, weight);
  }

  /** The longest socket path Linux takes ({@code sun_path} holds 108 bytes with the terminating NUL). */
  static final int MAX_UNIX_PATH = 107;

  /**
   * A Unix domain socket's path as a backend's host: {@code unix:PATH}. The file need not exist yet
   * (the service may start after stc; its health checks say when it serves).
   */
  public static String unix(String path) {
    String p = path.trim();
    if (!p.startsWith("/")) {
      throw new IllegalArgumentException("a Unix socket's path must be absolute, like /run/app.sock, got '" + path + "'");
    }
    if (p.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_UNIX_PATH || p.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a Unix socket's path must be at most " + MAX_UNIX_PATH + " bytes without NUL, got '" + path + "'");
    }
    return io.stc.pool.Backend.UNIX + p;
  }

  /** A host as written in a config file: trimmed, brackets around an IPv6 address dropped. */
  public static String host(String text) {
    String h = ConfigMap.nonEmpty(text);
    return h.startsWith("[") && h.endsWith("]") && h.length() > 2 ? h.substring(1, h.length() - 1) : h;
  }

  private static int number(String spec, String what, String text, int min, int max) {
    try {
      int value = Integer.parseInt(text);
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below, together with out-of-range values
    }
    throw bad(spec, what + " '" + text + "' is not a number from " + min + " to " + max);
  }

  private static IllegalArgumentException bad(String spec, String why) {
    return new IllegalArgumentException("bad backend '" + spec + "': " + why + "; expected host:port[:weight]");
  }
}
