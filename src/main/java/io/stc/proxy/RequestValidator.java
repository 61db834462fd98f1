package io.stc.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;

/**
 * Checks a parsed request head for what the HTTP decoder lets through but a proxy must not
 * forward: ambiguous framing (the stuff of request smuggling), missing or repeated Host, too many
 * headers, a declared body over the limit.
 */
final class RequestValidator {
  private final int maxHeaders;
  private final long maxBody;

  RequestValidator(int maxHeaders, long maxBody) {
    this.maxHeaders = maxHeaders;
    this.maxBody = maxBody;
  }

  /** The failure to answer with, or null when the request may go on. */
  ProxyFailure check(HttpRequest request) {
    HttpHeaders h = request.headers();
    if (h.size() > maxHeaders) {
      return ProxyFailure.HEADERS_TOO_LARGE;
    }
    List<String> hosts = h.getAll(HttpHeaderNames.HOST);
    if (hosts.size() > 1 || (hosts.isEmpty() && request.protocolVersion() == HttpVersion.HTTP_1_1)) {
      return ProxyFailure.BAD_REQUEST;
    }
    if (h.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      // Only a lone "chunked" is unambiguous; anything else may be read differently downstream.
      List<String> te = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
      if (te.size() != 1 || !te.get(0).trim().equalsIgnoreCase("chunked") || h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
        return ProxyFailure.BAD_REQUEST;
      }
    }
    if (maxBody > 0) {
      String length = h.get(HttpHeaderNames.CONTENT_LENGTH);
      if (length != null && parseLength(length) > maxBody) {
        return ProxyFailure.BODY_TOO_LARGE;
      }
    }
    return null;
  }

  /** Whether a body that has grown to {@code bytes} is over the limit. */
  boolean bodyTooLarge(long bytes) {
    return maxBody > 0 && bytes > maxBody;
  }

  private static long parseLength(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      // The decoder already rejected malformed lengths; be safe anyway.
      return Long.MAX_VALUE;
    }
  }
}
