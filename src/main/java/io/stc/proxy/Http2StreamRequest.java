package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;

/**
 * A client's HTTP/2 stream as the request objects an {@link Exchange} takes: the first HEADERS
 * frame as the request head (pseudo-headers as the request line and Host, cookie crumbs joined,
 * a body of unknown length marked chunked), DATA as content, a second HEADERS frame as
 * the trailers. HPACK decoding has already refused what HTTP/2 forbids (connection-specific
 * fields, upper-case names, misplaced pseudo-headers); {@link RequestValidator} checks the rest.
 *
 * <p>Done here rather than by Netty's stream-to-HTTP/1 codec: one handler fewer in every stream's
 * pipeline, and no bookkeeping headers added only to be taken out again.
 */
final class Http2StreamRequest {
  private static final AsciiString COOKIE = HttpHeaderNames.COOKIE;
  private static final AsciiString PROTOCOL = Http2Headers.PseudoHeaderName.PROTOCOL.value();

  private Http2StreamRequest() {}

  /**
   * The request head, or null when the frame cannot be one (no {@code :method} or one that is not a
   * token, no {@code :path} outside CONNECT or one with bytes no request target has, a CONNECT with
   * {@code :scheme} or {@code :path}, a {@code :protocol}, or {@code :authority} and Host that
   * disagree): a malformed request. Netty's decoder has refused a request without {@code :scheme}.
   *
   * @param endStream the frame ends the stream: the request has no body
   */
  static HttpRequest head(Http2Headers h, boolean endStream) {
    CharSequence method = h.method();
    CharSequence authority = h.authority();
    boolean connect = method != null && AsciiString.contentEquals(method, HttpMethod.CONNECT.asciiName());
    if (connect && (h.scheme() != null || h.path() != null) || h.contains(PROTOCOL)) {
      // RFC 9113 8.5: CONNECT names only :authority. :protocol (RFC 8441) only after stc offered
      // SETTINGS_ENABLE_CONNECT_PROTOCOL, which it does not.
      return null;
    }
    CharSequence path = connect ? authority : h.path();
    if (method == null || path == null || !FieldGrammar.isToken(method) || !RequestValidator.targetBytes(path)) {
      // Nothing an HTTP/1.1 request line could carry either (a space or a control byte in it).
      return null;
    }
    HttpHeaders out = RequestDecoder.newHeaders();
    if (authority != null) {
      out.add(HttpHeaderNames.HOST, authority);
    }
    StringBuilder cookies = null;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iterator(); it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> e = it.next();
      CharSequence name = e.getKey();
      if (name.length() > 0 && name.charAt(0) == ':') {
        continue;
      }
      CharSequence value = e.getValue();
      if (AsciiString.contentEquals(name, COOKIE)) {
        // HTTP/2 may split Cookie into crumbs; HTTP/1.1 wants one field (RFC 9113 8.2.3).
        cookies = cookies == null ? new StringBuilder(value.length() + 32).append(value) : cookies.append("; ").append(value);
        continue;
      }
      if (authority != null && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
        // RFC 9113 8.3.1: a Host that differs from :authority makes the request malformed.
        if (!AsciiString.contentEqualsIgnoreCase(authority, value)) {
          return null;
        }
        continue;
      }
      out.add(name, value);
    }
    if (cookies != null) {
      out.add(COOKIE, cookies.toString());
    }
    HttpMethod m = method(method);
    if (endStream) {
      return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, m, path.toString(), Unpooled.EMPTY_BUFFER, out,
          EmptyHttpHeaders.INSTANCE);
    }
    if (!out.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      // The body's length is unknown until END_STREAM: for an HTTP/1.1 backend it goes chunked.
      out.add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, m, path.toString(), out);
  }

  private static final HttpMethod[] COMMON_METHODS = {
    HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.HEAD, HttpMethod.DELETE, HttpMethod.OPTIONS, HttpMethod.PATCH
  };

  /** The method, a shared constant when it is a common one: no String made per request to look it up. */
  private static HttpMethod method(CharSequence name) {
    for (HttpMethod m : COMMON_METHODS) {
      if (AsciiString.contentEquals(m.asciiName(), name)) {
        return m;
      }
    }
    return HttpMethod.valueOf(name.toString());
  }

  /** A piece of the body; the buffer is handed on. */
  static HttpContent content(ByteBuf data, boolean endStream) {
    return endStream ? new DefaultLastHttpContent(data) : new DefaultHttpContent(data);
  }

  /** The trailers that end the request. */
  static LastHttpContent trailers(Http2Headers h) {
    HttpHeaders t = RequestDecoder.newHeaders();
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iterator(); it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> e = it.next();
      CharSequence name = e.getKey();
      if (name.length() == 0 || name.charAt(0) != ':') {
        t.add(name, e.getValue());
      }
    }
    return new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, t);
  }
}
