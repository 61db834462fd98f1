package io.stc.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import io.stc.pool.Backend;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A client's request head as HTTP/2 headers for a backend that speaks HTTP/2: the same fields
 * {@link RequestHeadWriter} sends an HTTP/1.1 backend, less what HTTP/2 forbids (Host becomes
 * {@code :authority}, no framing or connection fields), names in lower case.
 */
final class Http2RequestHeaders {
  private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");

  private Http2RequestHeaders() {}

  /**
   * @param scheme the client's scheme, or what a trusted proxy said it was (for X-Forwarded-Proto)
   * @param forwardedHost X-Forwarded-Host as a trusted proxy said it, or null for the request's Host
   * @param clientCert X-Forwarded-Client-Cert: the client's verified certificate, or null
   * @param backendScheme the scheme of the connection to the backend ({@code :scheme})
   * @param answeredExpect the proxy answered the client's {@code Expect: 100-continue} itself
   */
  static Http2Headers of(
      HttpRequest req, String clientIp, String scheme, CharSequence forwardedHost, String clientCert, String backendScheme,
      boolean answeredExpect,
      Backend backend) {
    HttpHeaders h = req.headers();
    Http2Headers out = new DefaultHttp2Headers(false, h.size() + 4);
    String uri = req.uri();
    out.method(req.method().asciiName()).path(uri.isEmpty() ? "/" : uri).scheme(backendScheme);
    List<String> named = h.contains(HttpHeaderNames.CONNECTION) ? RequestHeadWriter.namedByConnection(h) : List.of();
    CharSequence priorFor = null;
    CharSequence host = null;
    boolean teTrailers = false;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> e = it.next();
      CharSequence name = e.getKey();
      if (RequestHeadWriter.isDropped(name)) {
        if (AsciiString.contentEqualsIgnoreCase(name, X_FORWARDED_FOR)) {
          // Several fields of one name are one list (RFC 9110 5.3): every earlier hop, in order.
          priorFor = priorFor == null ? e.getValue() : priorFor + ", " + e.getValue();
        } else if (!teTrailers && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TE)) {
          teTrailers = RequestHeadWriter.hasToken(e.getValue(), HttpHeaderValues.TRAILERS);
        }
        continue;
      }
      if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
        if (host == null) {
          host = e.getValue();
        }
        continue;
      }
      if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)
          || (!named.isEmpty() && RequestHeadWriter.isNamed(named, name))
          || (answeredExpect && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.EXPECT))) {
        continue;
      }
      out.add(AsciiString.of(name).toLowerCase(), e.getValue());
    }
    out.authority(host != null && host.length() > 0 ? host : backend.authority());
    out.add(X_FORWARDED_FOR, priorFor == null ? clientIp : priorFor + ", " + clientIp);
    out.add(X_FORWARDED_PROTO, scheme);
    CharSequence xfh = forwardedHost != null ? forwardedHost : host;
    if (xfh != null && xfh.length() > 0) {
      out.add(X_FORWARDED_HOST, xfh);
    }
    if (clientCert != null) {
      out.add(RequestHeadWriter.X_FORWARDED_CLIENT_CERT, clientCert);
    }
    if (teTrailers) {
      out.add(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
    }
    return out;
  }
}
