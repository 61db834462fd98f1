package io.stc.proxy;

import io.stc.config.StcConfig;
import java.util.Locale;

/**
 * Which responses stc gzip-encodes for the client ({@code compression}): those of a listed type
 * and at least {@code min_length} long (or of a length not known yet), to a client that accepts
 * gzip, that are not encoded already, a range, or marked {@code no-transform}.
 */
final class ResponseCompression {
  private final String[] types;
  private final long minLength;
  private final int level;

  private ResponseCompression(StcConfig.Compression c) {
    this.types = c.types().stream().map(t -> t.toLowerCase(Locale.ROOT)).toArray(String[]::new);
    this.minLength = c.minLength();
    this.level = c.level();
  }

  /** The policy, or null when compression is off. */
  static ResponseCompression of(StcConfig.Compression c) {
    return c.enabled() ? new ResponseCompression(c) : null;
  }

  int level() {
    return level;
  }

  /** Whether {@code head}, the response to {@code request}, goes to the client gzip-encoded. */
  boolean applies(ClientRequest request, ResponseHead head) {
    int code = head.status;
    if (code < 200 || code == 204 || code == 206 || code == 304 || request.isHeadMethod() || head.otherCodings
        || (head.contentLength >= 0 && head.contentLength < minLength)
        || !acceptsGzip(request.header("accept-encoding"))) {
      return false;
    }
    if (head.value("content-encoding") != null || head.value("content-range") != null) {
      return false;
    }
    String cacheControl = head.value("cache-control");
    if (cacheControl != null && cacheControl.toLowerCase(Locale.ROOT).contains("no-transform")) {
      return false;
    }
    return isListed(head.value("content-type"));
  }

  private boolean isListed(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    for (String t : types) {
      if (t.endsWith("/*") ? type.startsWith(t.substring(0, t.length() - 1)) : t.equals(type)) {
        return true;
      }
    }
    return false;
  }

  /** Whether an Accept-Encoding value takes gzip: gzip, x-gzip or * with a weight above zero (RFC 9110 12.5.3). */
  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    boolean gzip = false;
    boolean gzipRefused = false;
    boolean any = false;
    for (String element : acceptEncoding.split(",")) {
      String[] parts = element.split(";");
      String coding = parts[0].trim().toLowerCase(Locale.ROOT);
      boolean refused = false;
      for (int i = 1; i < parts.length; i++) {
        String p = parts[i].trim().toLowerCase(Locale.ROOT);
        if (p.startsWith("q=")) {
          refused = isZero(p.substring(2).trim());
        }
      }
      if (coding.equals("gzip") || coding.equals("x-gzip")) {
        gzip |= !refused;
        gzipRefused |= refused;
      } else if (coding.equals("*")) {
        any = !refused;
      }
    }
    return gzip || (any && !gzipRefused);
  }

  private static boolean isZero(String q) {
    try {
      return Double.parseDouble(q) <= 0;
    } catch (NumberFormatException e) {
      return true;
    }
  }
}
