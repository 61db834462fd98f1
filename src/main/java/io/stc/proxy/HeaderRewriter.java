package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * Rewrites a backend's response head for the client: drops hop-by-hop headers, adds the
 * served-by header and says how the body is framed and whether the connection stays open.
 */
final class HeaderRewriter {
  static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");

  private static final byte[] SEPARATOR = {':', ' '};
  private static final byte[] CHUNKED = ResponseHead.ascii("transfer-encoding: chunked\r\n");
  private static final byte[] CLOSE = ResponseHead.ascii("connection: close\r\n");
  private static final byte[] KEEP_ALIVE = ResponseHead.ascii("connection: keep-alive\r\n");
  private static final byte[] SET_COOKIE = ResponseHead.ascii("set-cookie: ");

  /** How a response body travels to an HTTP/1.x client. */
  enum BodyFraming {
    /** As the backend framed it: Content-Length, or its chunks passed through. */
    AS_IS,
    /** The backend delimited it by closing: chunked for the HTTP/1.1 client. */
    RECHUNK,
    /** Delimited by closing the client connection (an HTTP/1.0 client). */
    UNTIL_CLOSE
  }

  private final AsciiString servedByHeader;
  private final byte[] servedByBytes;
  private final byte[] servedByLowerCase;

  /** @param servedByHeader the response header naming the backend, or empty for none */
  HeaderRewriter(String servedByHeader) {
    this.servedByHeader = servedByHeader == null || servedByHeader.isEmpty() ? null : AsciiString.of(servedByHeader);
    this.servedByBytes = this.servedByHeader == null ? null : ResponseHead.ascii(servedByHeader);
    this.servedByLowerCase = this.servedByHeader == null ? null : ResponseHead.ascii(this.servedByHeader.toLowerCase().toString());
  }

  /** The served-by header's name in lower case, for spotting a backend's own; null when it is off. */
  byte[] servedByLowerCase() {
    return servedByLowerCase;
  }

  /**
   * Writes a backend's response head for an HTTP/1.x client: the forwarded lines as they came,
   * then the proxy's own (served-by, framing, connection, a sticky cookie).
   *
   * @param keepClientAlive whether the client connection should stay open after this response
   * @param bodyFollows whether a body follows the head (not for a HEAD request's response)
   * @param cookie a Set-Cookie value to add, or null
   */
  BodyFraming writeResponseHead(
      ByteBuf out, ResponseHead head, boolean http10Client, boolean keepClientAlive, boolean bodyFollows,
      String backendId, String cookie) {
    BodyFraming framing = BodyFraming.AS_IS;
    int code = head.status;
    boolean mayHaveBody = code >= 200 && code != 204 && code != 304;
    boolean rechunk = false;
    // A HEAD response has no body whatever its headers say: nothing to frame, nothing to add.
    if (head.contentLength < 0 && !head.chunked && mayHaveBody && bodyFollows) {
      if (http10Client) {
        framing = BodyFraming.UNTIL_CLOSE;
      } else {
        rechunk = true;
        framing = BodyFraming.RECHUNK;
      }
    } else if (http10Client && head.chunked) {
      head.dropTransferEncoding();
      framing = BodyFraming.UNTIL_CLOSE;
    }
    head.writeKept(out);
    if (servedByBytes != null) {
      out.writeBytes(servedByBytes).writeBytes(SEPARATOR);
      out.writeCharSequence(backendId, StandardCharsets.ISO_8859_1);
      out.writeShort(ResponseHead.CRLF);
    }
    if (rechunk) {
      out.writeBytes(CHUNKED);
    }
    boolean keep = keepClientAlive && framing != BodyFraming.UNTIL_CLOSE;
    if (!keep) {
      out.writeBytes(CLOSE);
    } else if (http10Client) {
      out.writeBytes(KEEP_ALIVE);
    }
    if (cookie != null) {
      out.writeBytes(SET_COOKIE).writeCharSequence(cookie, StandardCharsets.ISO_8859_1);
      out.writeShort(ResponseHead.CRLF);
    }
    out.writeShort(ResponseHead.CRLF);
    return framing;
  }

  /** The served-by header's name, or empty when it is off. */
  CharSequence servedByName() {
    return servedByHeader == null ? "" : servedByHeader;
  }

  /**
   * Prepares a backend response for the client.
   *
   * @param clientVersion the version the client spoke
   * @param keepClientAlive whether the client connection stays open after this response
   * @param backendId the backend that served it
   * @return whether the response can be delimited without closing the connection
   */
  boolean rewriteResponse(HttpResponse response, HttpVersion clientVersion, boolean keepClientAlive, String backendId) {
    HttpHeaders h = response.headers();
    removeHopByHop(h);
    if (servedByHeader != null) {
      h.set(servedByHeader, backendId);
    }
    boolean delimited = true;
    if (!h.contains(HttpHeaderNames.CONTENT_LENGTH) && !isChunked(h) && mayHaveBody(response)) {
      // A close-delimited body: re-chunk it for HTTP/1.1 clients; 1.0 clients read until close.
      if (clientVersion == HttpVersion.HTTP_1_1) {
        h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      } else {
        delimited = false;
      }
    } else if (clientVersion == HttpVersion.HTTP_1_0 && isChunked(h)) {
      h.remove(HttpHeaderNames.TRANSFER_ENCODING);
      delimited = false;
    }
    boolean keep = keepClientAlive && delimited;
    if (!keep) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (clientVersion == HttpVersion.HTTP_1_0) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    return delimited;
  }

  private static boolean isChunked(HttpHeaders h) {
    return h.containsValue(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED, true);
  }

  private static boolean mayHaveBody(HttpResponse r) {
    int code = r.status().code();
    return code >= 200 && code != 204 && code != 304;
  }

  private static void removeHopByHop(HttpHeaders h) {
    // Headers named in Connection are hop-by-hop too (RFC 9110 7.6.1).
    if (h.contains(HttpHeaderNames.CONNECTION)) {
      for (String value : h.getAll(HttpHeaderNames.CONNECTION)) {
        for (String name : value.split(",")) {
          String n = name.trim();
          if (!n.isEmpty() && !n.equalsIgnoreCase("close") && !n.equalsIgnoreCase("keep-alive")) {
            h.remove(n);
          }
        }
      }
      h.remove(HttpHeaderNames.CONNECTION);
    }
    h.remove(HttpHeaderNames.KEEP_ALIVE);
    h.remove(PROXY_CONNECTION);
    h.remove(HttpHeaderNames.TE);
    h.remove(HttpHeaderNames.TRAILER);
    h.remove(HttpHeaderNames.UPGRADE);
    h.remove(HttpHeaderNames.PROXY_AUTHENTICATE);
    h.remove(HttpHeaderNames.PROXY_AUTHORIZATION);
  }
}
