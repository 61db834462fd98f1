package io.stc.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.stc.pool.Backend;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The header fields a backend gets for a client's request, in either protocol: the client's own
 * less the hop-by-hop ones (also when written with underscores for dashes) and those stc sets, then
 * stc's X-Forwarded-* set, the request ID and what the client's hop-by-hop headers said that the
 * backend must know. RFC 7239's {@code Forwarded} goes through from trusted proxies only. The one place these rules live; each protocol's writer only spells the fields.
 */
final class ForwardedFields {
  static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  static final AsciiString X_FORWARDED_CLIENT_CERT = AsciiString.cached(ClientCertificate.HEADER);
  private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
  private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");
  private static final AsciiString FORWARDED = AsciiString.cached("forwarded");
  private static final CharSequence[] DROPPED = {
    HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, PROXY_CONNECTION, HttpHeaderNames.TE,
    HttpHeaderNames.UPGRADE, HttpHeaderNames.PROXY_AUTHENTICATE,
    HttpHeaderNames.PROXY_AUTHORIZATION, X_FORWARDED_FOR, X_FORWARDED_PROTO,
    X_FORWARDED_HOST, HTTP2_SETTINGS, X_FORWARDED_CLIENT_CERT,
  };

  /** Where the fields go, in order. */
  interface Sink {
    void field(CharSequence name, CharSequence value);
  }

  private ForwardedFields() {}

  /**
   * Gives {@code sink} every field for the backend. For an HTTP/1.1 backend, Host stays where the
   * client put it (or the backend's address is sent, for an HTTP/1.0 request without one); for an
   * HTTP/2 backend, Host and Transfer-Encoding are left out, as HTTP/2 forbids them there.
   *
   * @return the host the client asked for, or the backend's address when it named none: an HTTP/2
   *     backend's {@code :authority}
   */
  static CharSequence write(ForwardedRequest r, Backend backend, boolean http2, Sink sink) {
    HttpHeaders h = r.head().headers();
    // What Connection names is hop-by-hop wherever it stands in the block, before or after it.
    List<String> named = h.contains(HttpHeaderNames.CONNECTION) ? namedByConnection(h) : List.of();
    AsciiString idName = r.requestIdName();
    RequestTrace trace = r.trace();
    boolean answeredExpect = r.answeredExpect();
    boolean dropForwarded = !r.fromTrustedProxy();
    FieldEdits edits = r.edits();
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
      if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
        if (host == null) {
          host = e.getValue();
        }
        if (http2) {
          continue;
        }
      }
      if ((!named.isEmpty() && isNamed(named, name))
          || (answeredExpect && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.EXPECT))
          || (idName != null && isRequestIdField(name, idName))
          || (trace != null && trace.replaces(name))
          || (dropForwarded && name.length() == 9 && AsciiString.contentEqualsIgnoreCase(name, FORWARDED))
          || (edits != null && edits.dropsRequestField(name))
          || (http2 && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING))) {
        continue;
      }
      sink.field(name, e.getValue());
    }
    boolean hasHost = host != null && host.length() > 0;
    if (host == null && !http2) {
      // An HTTP/1.0 request may lack Host; the HTTP/1.1 one it becomes may not.
      sink.field(HttpHeaderNames.HOST, backend.authority());
    }
    String peer = r.peerIp();
    sink.field(X_FORWARDED_FOR, priorFor == null ? peer : priorFor + ", " + peer);
    sink.field(X_FORWARDED_PROTO, r.scheme());
    CharSequence forwardedHost = r.forwardedHost() != null ? r.forwardedHost() : host;
    if (forwardedHost != null && forwardedHost.length() > 0) {
      sink.field(X_FORWARDED_HOST, forwardedHost);
    }
    String clientCert = r.clientCert();
    if (clientCert != null) {
      sink.field(X_FORWARDED_CLIENT_CERT, clientCert);
    }
    if (idName != null) {
      sink.field(idName, r.requestId());
    }
    if (trace != null) {
      trace.writeHeaders(sink);
    }
    if (edits != null) {
      edits.addRequestFields(sink);
    }
    if (teTrailers) {
      sink.field(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
    }
    return hasHost ? host : backend.authority();
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

  /** The client's own request ID (in either spelling, as above): stc's takes its place. */
  private static boolean isRequestIdField(CharSequence name, AsciiString idName) {
    return name.length() == idName.length()
        && (AsciiString.contentEqualsIgnoreCase(name, idName) || FieldGrammar.isUnderscoreForm(name, idName.toString()));
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

  private static boolean isNamed(List<String> named, CharSequence name) {
    for (int i = 0, n = named.size(); i < n; i++) {
      if (AsciiString.contentEqualsIgnoreCase(named.get(i), name)) {
        return true;
      }
    }
    return false;
  }
}
