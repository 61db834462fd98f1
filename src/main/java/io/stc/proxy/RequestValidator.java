package io.stc.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;

/**
 * Checks a request that arrived as an HTTP/2 stream before it is written as HTTP/1.1 for a
 * backend: the same rules {@link RequestDecoder} applies to HTTP/1 bytes, on the converted
 * message, because a field value or path that is harmless in HPACK (a CR, an LF, a NUL) would
 * split or extend the HTTP/1.1 head it becomes (the downgrade form of request smuggling).
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
    if (!FieldGrammar.isToken(request.method().name()) || !validPath(request.uri())) {
      return ProxyFailure.BAD_REQUEST;
    }
    // One walk over the fields, counting those that decide framing and routing as it goes.
    int hosts = 0;
    int lengths = 0;
    int encodings = 0;
    CharSequence encoding = null;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> e = it.next();
      CharSequence name = e.getKey();
      CharSequence value = e.getValue();
      if (!FieldGrammar.isToken(name) || !FieldGrammar.isValue(value)) {
        return ProxyFailure.BAD_REQUEST;
      }
      if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
        hosts++;
      } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)) {
        lengths++;
      } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)) {
        encodings++;
        encoding = value;
      } else if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONNECTION) && namesFraming(value)) {
        return ProxyFailure.BAD_REQUEST;
      } else if (FieldGrammar.isUnderscoreForm(name, "content-length") || FieldGrammar.isUnderscoreForm(name, "transfer-encoding")) {
        // A CGI-style backend reads content_length as Content-Length: framing HTTP knows nothing of.
        return ProxyFailure.BAD_REQUEST;
      }
    }
    if (hosts > 1 || lengths > 1) {
      return ProxyFailure.BAD_REQUEST;
    }
    // The conversion marks a body of unknown length with a lone "chunked"; anything else came from the client.
    if (encodings > 0 && (encodings != 1 || !encoding.toString().trim().equalsIgnoreCase("chunked") || lengths > 0)) {
      return ProxyFailure.BAD_REQUEST;
    }
    String length = h.get(HttpHeaderNames.CONTENT_LENGTH);
    if (length != null) {
      long declared = parseLength(length);
      if (declared < 0) {
        return ProxyFailure.BAD_REQUEST;
      }
      if (bodyTooLarge(declared)) {
        return ProxyFailure.BODY_TOO_LARGE;
      }
    }
    return null;
  }

  /** Whether a Connection value names a field that frames or routes the request (which it may not drop). */
  private static boolean namesFraming(CharSequence connection) {
    for (String token : connection.toString().split(",")) {
      String t = token.trim();
      if (t.equalsIgnoreCase("content-length") || t.equalsIgnoreCase("transfer-encoding") || t.equalsIgnoreCase("host")) {
        return true;
      }
    }
    return false;
  }

  /** Whether a body that has grown to {@code bytes} is over the limit. */
  boolean bodyTooLarge(long bytes) {
    return maxBody > 0 && bytes > maxBody;
  }

  private static boolean validPath(String uri) {
    return !uri.isEmpty() && (uri.charAt(0) == '/' || uri.equals("*")) && targetBytes(uri);
  }

  /** Whether every character of {@code target} may be in a request target (no space, control or non-ASCII byte). */
  static boolean targetBytes(CharSequence target) {
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c > 0xff || !FieldGrammar.isTarget((byte) c)) {
        return false;
      }
    }
    return true;
  }

  private static long parseLength(String s) {
    String t = s.trim();
    if (t.isEmpty() || t.length() > 18) {
      return -1;
    }
    for (int i = 0; i < t.length(); i++) {
      if (t.charAt(i) < '0' || t.charAt(i) > '9') {
        return -1;
      }
    }
    return Long.parseLong(t);
  }
}
