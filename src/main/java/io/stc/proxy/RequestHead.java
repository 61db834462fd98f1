package io.stc.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * One client request head checked against RFC 9112 as it is parsed: the request line's grammar and
 * target form, each field's grammar, and the fields that decide framing and routing (Content-Length,
 * Transfer-Encoding, Host, Connection, Expect), which must leave no doubt about where the request
 * ends or where it goes. Whatever is wrong is a {@link RequestRejection}.
 */
final class RequestHead {
  String method;
  String uri;
  boolean http10;
  final HttpHeaders headers = RequestDecoder.newHeaders();
  /** The declared Content-Length, or -1 when there is none. */
  long contentLength = -1;
  boolean chunked;
  private int hosts;
  private int transferEncodings;
  /** The authority of an absolute-form target, which replaces the Host field (RFC 9112 3.2.2). */
  private String targetAuthority;

  // ---- the request line ---------------------------------------------------------------------

  void requestLine(byte[] b, int from, int to) {
    int m = from;
    while (m < to && FieldGrammar.isTchar(b[m])) {
      m++;
    }
    if (m == from || m == to || b[m] != ' ') {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid method");
    }
    int t = m + 1;
    int te = t;
    while (te < to && b[te] != ' ') {
      if (!FieldGrammar.isTarget(b[te])) {
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "byte 0x" + Integer.toHexString(b[te] & 0xff) + " in the request target");
      }
      te++;
    }
    if (te == t || te == to) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "request line without a target and a version");
    }
    version(b, te + 1, to);
    method = method(b, from, m);
    target(b, t, te);
  }

  private static final String[] COMMON_METHODS = {"GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH"};

  /** The method, as the one shared String when it is a common one (methods are case-sensitive, RFC 9110 9.1): no garbage per request. */
  private static String method(byte[] b, int from, int to) {
    for (String common : COMMON_METHODS) {
      if (common.length() == to - from && sameBytes(b, from, common)) {
        return common;
      }
    }
    return ascii(b, from, to);
  }

  private static boolean sameBytes(byte[] b, int from, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (b[from + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private void version(byte[] b, int v, int to) {
    if (to - v != 8 || b[v] != 'H' || b[v + 1] != 'T' || b[v + 2] != 'T' || b[v + 3] != 'P' || b[v + 4] != '/'
        || !isDigit(b[v + 5]) || b[v + 6] != '.' || !isDigit(b[v + 7])) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid HTTP version");
    }
    if (b[v + 5] != '1' || (b[v + 7] != '0' && b[v + 7] != '1')) {
      // Well formed but not ours: HTTP/0.9 and HTTP/2.0's cleartext preface among them.
      throw new RequestRejection(ProxyFailure.VERSION_NOT_SUPPORTED, "HTTP version " + ascii(b, v + 5, to) + " not supported");
    }
    http10 = b[v + 7] == '0';
  }

  /** Origin-form, asterisk-form for OPTIONS, or absolute-form (turned into origin-form); CONNECT is not served. */
  private void target(byte[] b, int from, int to) {
    if (method.equals("CONNECT")) {
      throw new RequestRejection(ProxyFailure.NOT_IMPLEMENTED, "CONNECT is not served by a reverse proxy");
    }
    if (b[from] == '/') {
      uri = ascii(b, from, to);
      return;
    }
    if (to - from == 1 && b[from] == '*') {
      if (!method.equals("OPTIONS")) {
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "asterisk-form target for a method other than OPTIONS");
      }
      uri = "*";
      return;
    }
    int scheme = schemeLength(b, from, to);
    if (scheme < 0) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "request target in no known form");
    }
    int a = from + scheme;
    int ae = a;
    while (ae < to && b[ae] != '/' && b[ae] != '?') {
      ae++;
    }
    if (ae == a) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "absolute-form target without a host");
    }
    targetAuthority = host(b, a, ae);
    if (ae == to) {
      uri = "/";
    } else if (b[ae] == '?') {
      uri = "/" + ascii(b, ae, to);
    } else {
      uri = ascii(b, ae, to);
    }
  }

  /** The length of "http://" or "https://" at {@code from}, any case; -1 for anything else. */
  private static int schemeLength(byte[] b, int from, int to) {
    if (to - from > 7 && FieldGrammar.equalsIgnoreCase(b, from, from + 7, "http://")) {
      return 7;
    }
    if (to - from > 8 && FieldGrammar.equalsIgnoreCase(b, from, from + 8, "https://")) {
      return 8;
    }
    return -1;
  }

  // ---- fields -------------------------------------------------------------------------------

  void field(byte[] b, int from, int to) {
    int colon = FieldSection.nameEnd(b, from, to);
    int v = FieldSection.valueStart(b, colon + 1, to);
    int ve = FieldSection.valueEnd(b, v, to);
    int n = colon - from;
    // Only names as long as one that matters here are compared at all.
    switch (n) {
      case 4 -> {
        if (FieldGrammar.equalsIgnoreCase(b, from, colon, "host")) {
          hosts++;
          host(b, v, ve);
        }
      }
      case 6 -> {
        if (FieldGrammar.equalsIgnoreCase(b, from, colon, "expect")) {
          expect(b, v, ve);
        }
      }
      case 10 -> {
        if (FieldGrammar.equalsIgnoreCase(b, from, colon, "connection")) {
          connection(b, v, ve);
        }
      }
      case 14 -> {
        if (FieldGrammar.equalsIgnoreCase(b, from, colon, "content-length")) {
          contentLength(b, v, ve);
        } else if (FieldGrammar.isUnderscoreForm(b, from, colon, "content-length")) {
          throw underscoreFraming(b, from, colon);
        }
      }
      case 17 -> {
        if (FieldGrammar.equalsIgnoreCase(b, from, colon, "transfer-encoding")) {
          transferEncoding(b, v, ve);
        } else if (FieldGrammar.isUnderscoreForm(b, from, colon, "transfer-encoding")) {
          throw underscoreFraming(b, from, colon);
        }
      }
      default -> { }
    }
    headers.add(new AsciiString(b, from, n, true), new AsciiString(b, v, ve - v, true));
  }

  /**
   * A framing field's name with underscores for dashes: HTTP frames the request without it, but a
   * CGI-style backend reads it as the framing field itself and would take the next request's bytes
   * as this one's body (or wait for a body that never comes).
   */
  private static RequestRejection underscoreFraming(byte[] b, int from, int to) {
    return new RequestRejection(ProxyFailure.BAD_REQUEST, ascii(b, from, to) + ": a framing field's name with an underscore");
  }

  private void contentLength(byte[] b, int v, int ve) {
    if (contentLength >= 0) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "more than one Content-Length");
    }
    if (v == ve || ve - v > 18) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid Content-Length");
    }
    long length = 0;
    for (int i = v; i < ve; i++) {
      if (!isDigit(b[i])) {
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid Content-Length");
      }
      length = length * 10 + (b[i] - '0');
    }
    contentLength = length;
  }

  /** Only a final "chunked" frames a request (RFC 9112 6.1); other codings are not implemented. */
  private void transferEncoding(byte[] b, int v, int ve) {
    if (++transferEncodings > 1) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "more than one Transfer-Encoding field");
    }
    int codings = TransferCodings.read(b, v, ve);
    if ((codings & TransferCodings.INVALID) != 0) {
      // Parameters or anything else: no coding stc decodes takes them.
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid Transfer-Encoding");
    }
    if ((codings & TransferCodings.CHUNKED_EARLIER) != 0) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "chunked applied twice, or not last");
    }
    if ((codings & TransferCodings.CHUNKED_LAST) == 0) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "Transfer-Encoding without a final chunked");
    }
    if ((codings & TransferCodings.OTHER) != 0) {
      throw new RequestRejection(ProxyFailure.NOT_IMPLEMENTED, "transfer codings other than chunked");
    }
    chunked = true;
  }

  /** Connection may not take away what frames or routes the request (the hop-by-hop smuggling trick). */
  private void connection(byte[] b, int v, int ve) {
    int i = v;
    while (i < ve) {
      while (i < ve && (b[i] == ',' || FieldGrammar.isOws(b[i]))) {
        i++;
      }
      int t = i;
      while (i < ve && b[i] != ',' && !FieldGrammar.isOws(b[i])) {
        if (!FieldGrammar.isTchar(b[i])) {
          throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid Connection option");
        }
        i++;
      }
      if (i > t && isFramingOrRouting(b, t, i)) {
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "Connection names " + ascii(b, t, i));
      }
    }
  }

  private void expect(byte[] b, int v, int ve) {
    if (!FieldGrammar.equalsIgnoreCase(b, v, ve, "100-continue")) {
      throw new RequestRejection(ProxyFailure.EXPECTATION_FAILED, "unsupported expectation");
    }
  }

  /**
   * Checks a Host value (or an absolute-form authority): uri-host [":" port], no user info,
   * nothing a URI would read as path, query or fragment. Returns it as a string.
   */
  private static String host(byte[] b, int from, int to) {
    int i = from;
    if (i < to && b[i] == '[') {
      while (i < to && b[i] != ']') {
        if (!(isHex(b[i]) || b[i] == ':' || b[i] == '.' || b[i] == '[' || b[i] == 'v' || b[i] == 'V')) {
          throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid host");
        }
        i++;
      }
      if (i == to) {
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid host");
      }
      i++;
    } else {
      while (i < to && b[i] != ':') {
        if (!isRegName(b[i])) {
          throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid host");
        }
        i++;
      }
    }
    if (i < to) {
      if (b[i] != ':') {
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid host");
      }
      for (int p = i + 1; p < to; p++) {
        if (!isDigit(b[p])) {
          throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid port");
        }
      }
    }
    return ascii(b, from, to);
  }

  /** Settles what needs the whole head: Host present once, one framing, the target's authority. */
  void finish() {
    if (hosts > 1 || (hosts == 0 && !http10)) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, hosts > 1 ? "more than one Host" : "HTTP/1.1 request without Host");
    }
    if (chunked && contentLength >= 0) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "both Content-Length and Transfer-Encoding");
    }
    if (transferEncodings > 0 && http10) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "Transfer-Encoding in an HTTP/1.0 request");
    }
    if (targetAuthority != null) {
      headers.set(HttpHeaderNames.HOST, targetAuthority);
    }
  }

  /** Whether field name {@code b[from, to)} frames or routes a message, or is hop-by-hop: never a trailer. */
  static boolean isHopOrFraming(byte[] b, int from, int to) {
    return isFramingOrRouting(b, from, to)
        || FieldGrammar.equalsIgnoreCase(b, from, to, "connection")
        || FieldGrammar.equalsIgnoreCase(b, from, to, "keep-alive")
        || FieldGrammar.equalsIgnoreCase(b, from, to, "proxy-connection")
        || FieldGrammar.equalsIgnoreCase(b, from, to, "te")
        || FieldGrammar.equalsIgnoreCase(b, from, to, "trailer")
        || FieldGrammar.equalsIgnoreCase(b, from, to, "upgrade")
        || FieldGrammar.equalsIgnoreCase(b, from, to, "expect")
        || FieldGrammar.equalsIgnoreCase(b, from, to, "proxy-authorization")
        || FieldGrammar.equalsIgnoreCase(b, from, to, "proxy-authenticate");
  }

  private static boolean isFramingOrRouting(byte[] b, int from, int to) {
    return FieldGrammar.equalsIgnoreCase(b, from, to, "content-length")
        || FieldGrammar.equalsIgnoreCase(b, from, to, "transfer-encoding")
        || FieldGrammar.equalsIgnoreCase(b, from, to, "host");
  }

  private static boolean isRegName(byte c) {
    // unreserved / pct-encoded / sub-delims (RFC 3986 3.2.2)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c)
        || c == '-' || c == '.' || c == '_' || c == '~' || c == '%'
        || c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')'
        || c == '*' || c == '+' || c == ',' || c == ';' || c == '=';
  }

  private static boolean isDigit(byte c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isHex(byte c) {
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  private static String ascii(byte[] b, int from, int to) {
    return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
  }
}
