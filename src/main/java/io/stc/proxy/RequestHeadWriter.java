package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import io.stc.pool.Backend;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes a client's request head for a backend as HTTP/1.1 bytes in one pass over its headers:
 * hop-by-hop headers left out (also when written with underscores for dashes), the X-Forwarded-*
 * set added, nothing in the parsed request changed (so a retry writes it again as it came).
 */
final class RequestHeadWriter {
  private static final byte[] HTTP_1_1 = ResponseHead.ascii(" HTTP/1.1\r\n");
  private static final byte[] XFF = ResponseHead.ascii("x-forwarded-for: ");
  private static final byte[] XFP = ResponseHead.ascii("x-forwarded-proto: ");
  private static final byte[] XFH = ResponseHead.ascii("x-forwarded-host: ");
  private static final byte[] XFCC = ResponseHead.ascii(ClientCertificate.HEADER + ": ");
  private static final byte[] UPGRADE = ResponseHead.ascii("connection: upgrade\r\nupgrade: websocket\r\n");
  private static final byte[] SEPARATOR = ResponseHead.ascii(", ");
  private static final byte[] TE_TRAILERS = ResponseHead.ascii("te: trailers\r\n");
  static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
  private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");
  static final AsciiString X_FORWARDED_CLIENT_CERT = AsciiString.cached(ClientCertificate.HEADER);
  private static final CharSequence[] DROPPED = {
    HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, PROXY_CONNECTION, HttpHeaderNames.TE,
    HttpHeaderNames.UPGRADE, HttpHeaderNames.PROXY_AUTHENTICATE,
    HttpHeaderNames.PROXY_AUTHORIZATION, X_FORWARDED_FOR, X_FORWARDED_PROTO,
    X_FORWARDED_HOST, HTTP2_SETTINGS, X_FORWARDED_CLIENT_CERT,
  };

  private RequestHeadWriter() {}

  /**
   * @param scheme X-Forwarded-Proto: the client's scheme, or what a trusted proxy said it was
   * @param forwardedHost X-Forwarded-Host as a trusted proxy said it, or null for the request's Host
   * @param clientCert X-Forwarded-Client-Cert: the client's verified certificate, or null
   * @param upgrade the client asks for WebSocket: its Upgrade and Connection headers go through
   * @param answeredExpect the proxy answered the client's {@code Expect: 100-continue} itself
   * @param backend where the request goes: its address is the Host sent when the client sent none (HTTP/1.0)
   */
  static void write(
      ByteBuf out, HttpRequest req, String clientIp, String scheme, CharSequence forwardedHost, String clientCert, boolean upgrade,
      boolean answeredExpect, Backend backend) {
    out.writeCharSequence(req.method().asciiName(), StandardCharsets.ISO_8859_1);
    out.writeByte(' ');
    String uri = req.uri();
    out.writeCharSequence(uri.isEmpty() ? "/" : uri, StandardCharsets.ISO_8859_1);
    out.writeBytes(HTTP_1_1);
    HttpHeaders h = req.headers();
    // What Connection names is hop-by-hop wherever it stands in the block, before or after it.
    List<String> named = h.contains(HttpHeaderNames.CONNECTION) ? namedByConnection(h) : List.of();
    CharSequence priorFor = null;
    CharSequence host = null;
    boolean teTrailers = false;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> e = it.next();
      CharSequence name = e.getKey();
      if (isDropped(name)) {
        if (AsciiString.contentEqualsIgnoreCase(name, X_FORWARDED_FOR)) {
          // Several fields of one name are one list (RFC 9110 5.3): every earlier hop, in order.
          priorFor = priorFor == null ? e.getValue() : priorFor + ", " + e.getValue();
        } else if (!teTrailers && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TE)) {
          // TE is hop-by-hop, but "trailers" says the client takes trailers, which the backend must know (gRPC).
          teTrailers = hasToken(e.getValue(), HttpHeaderValues.TRAILERS);
        }
        continue;
      }
      if (host == null && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
        host = e.getValue();
      }
      if ((!named.isEmpty() && isNamed(named, name))
          || (answeredExpect && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.EXPECT))) {
        continue;
      }
      header(out, name, e.getValue());
    }
    if (host == null) {
      // An HTTP/1.0 request may lack Host; the HTTP/1.1 one it becomes may not.
      header(out, HttpHeaderNames.HOST, backend.authority());
    }
    out.writeBytes(XFF);
    if (priorFor != null) {
      out.writeCharSequence(priorFor, StandardCharsets.ISO_8859_1);
      out.writeBytes(SEPARATOR);
    }
    out.writeCharSequence(clientIp, StandardCharsets.ISO_8859_1);
    out.writeShort(ResponseHead.CRLF);
    out.writeBytes(XFP).writeCharSequence(scheme, StandardCharsets.ISO_8859_1);
    out.writeShort(ResponseHead.CRLF);
    CharSequence xfh = forwardedHost != null ? forwardedHost : host;
    if (xfh != null && xfh.length() > 0) {
      out.writeBytes(XFH).writeCharSequence(xfh, StandardCharsets.ISO_8859_1);
      out.writeShort(ResponseHead.CRLF);
    }
    if (clientCert != null) {
      out.writeBytes(XFCC).writeCharSequence(clientCert, StandardCharsets.ISO_8859_1);
      out.writeShort(ResponseHead.CRLF);
    }
    if (teTrailers) {
      out.writeBytes(TE_TRAILERS);
    }
    if (upgrade) {
      out.writeBytes(UPGRADE);
    }
    out.writeShort(ResponseHead.CRLF);
  }

  /** Writes a trailer section's lines (after the last chunk's size line), then the empty line. */
  static void writeTrailers(ByteBuf out, HttpHeaders trailers) {
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = trailers.iteratorCharSequence(); it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> e = it.next();
      header(out, e.getKey(), e.getValue());
    }
    out.writeShort(ResponseHead.CRLF);
  }

  private static void header(ByteBuf out, CharSequence name, CharSequence value) {
    out.writeCharSequence(name, StandardCharsets.ISO_8859_1);
    out.writeByte(':').writeByte(' ');
    out.writeCharSequence(value, StandardCharsets.ISO_8859_1);
    out.writeShort(ResponseHead.CRLF);
  }

  static boolean isDropped(CharSequence name) {
    int n = name.length();
    // Most headers differ in length from every dropped one: no comparison at all.
    if (n != 2 && n != 7 && n != 10 && n != 14 && (n < 15 || n > 19) && n != 23) {
      return false;
    }
    for (CharSequence d : DROPPED) {
      if (d.length() == n && AsciiString.contentEqualsIgnoreCase(name, d)) {
        return true;
      }
    }
    // X_Forwarded_For and the like are other fields to HTTP, but the same ones to a CGI-style
    // backend (HTTP_X_FORWARDED_FOR): sent on, they would stand beside the ones stc sets, or the
    // hop-by-hop ones it drops, and a client could spoof its address through them.
    if (AsciiString.indexOf(name, '_', 0) >= 0) {
      for (CharSequence d : DROPPED) {
        if (d.length() == n && FieldGrammar.isUnderscoreForm(name, d.toString())) {
          return true;
        }
      }
    }
    return false;
  }

  /** The header names a Connection header lists besides its own options (RFC 9110 7.6.1). */
  static List<String> namedByConnection(HttpHeaders h) {
    List<String> named = new ArrayList<>(2);
    for (String value : h.getAll(HttpHeaderNames.CONNECTION)) {
      for (String token : value.split(",")) {
        String t = token.trim();
        if (!t.isEmpty() && !t.equalsIgnoreCase("close") && !t.equalsIgnoreCase("keep-alive") && !t.equalsIgnoreCase("upgrade")) {
          named.add(t);
        }
      }
    }
    return named;
  }

  static boolean hasToken(CharSequence value, CharSequence token) {
    for (String t : value.toString().split(",")) {
      String v = t.trim();
      int semicolon = v.indexOf(';');
      if (AsciiString.contentEqualsIgnoreCase(semicolon < 0 ? v : v.substring(0, semicolon).trim(), token)) {
        return true;
      }
    }
    return false;
  }

  static boolean isNamed(List<String> named, CharSequence name) {
    for (int i = 0, n = named.size(); i < n; i++) {
      if (AsciiString.contentEqualsIgnoreCase(named.get(i), name)) {
        return true;
      }
    }
    return false;
  }
}
