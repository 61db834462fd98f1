package io.stc.balance;

import java.util.Locale;
import java.util.Objects;

/**
 * Where a hashing balancer reads a request's key: the client IP, a request header or a cookie.
 *
 * <p>Written in configuration as {@code client_ip}, {@code header:NAME} or {@code cookie:NAME}.
 */
public record HashKey(Source source, String name) {
  /** The part of the request the key comes from. */
  public enum Source {
    CLIENT_IP,
    HEADER,
    COOKIE
  }

  /** Key by the client's IP address. */
  public static final HashKey CLIENT_IP = new HashKey(Source.CLIENT_IP, null);

  public HashKey {
    Objects.requireNonNull(source, "source");
    if (source == Source.CLIENT_IP) {
      name = null;
    } else if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          "a " + source.name().toLowerCase(Locale.ROOT) + " hash key needs a name");
    }
  }

  public static HashKey header(String name) {
    return new HashKey(Source.HEADER, name);
  }

  public static HashKey cookie(String name) {
    return new HashKey(Source.COOKIE, name);
  }

  /** Parses {@code client_ip}, {@code header:NAME} or {@code cookie:NAME} (prefixes case-insensitive). */
  public static HashKey parse(String text) {
    String t = text == null ? "" : text.trim();
    String lower = t.toLowerCase(Locale.ROOT);
    if (lower.equals("client_ip") || lower.equals("ip")) {
      return CLIENT_IP;
    }
    int colon = t.indexOf(':');
    if (colon > 0) {
      String kind = lower.substring(0, colon).trim();
      String name = t.substring(colon + 1).trim();
      if (!name.isEmpty() && kind.equals("header")) {
        return header(name);
      }
      if (!name.isEmpty() && kind.equals("cookie")) {
        return cookie(name);
      }
    }
    throw new IllegalArgumentException(
        "invalid hash key '" + text + "'; expected client_ip, header:NAME or cookie:NAME");
  }

  /** This key's value in {@code request}, or null when the request does not carry it. */
  public String of(Request request) {
    return switch (source) {
      case CLIENT_IP -> request.clientIp();
      case HEADER -> request.header(name);
      case COOKIE -> request.cookie(name);
    };
  }

  @Override
  public String toString() {
    return switch (source) {
      case CLIENT_IP -> "client_ip";
      case HEADER -> "header:" + name;
      case COOKIE -> "cookie:" + name;
    };
  }
}
