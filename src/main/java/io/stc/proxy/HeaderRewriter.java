package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.ReadOnlyHttp2Headers;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes a backend's response head for the client: the forwarded lines, the served-by header,
 * and how the body is framed and whether the connection stays open.
 */
final class HeaderRewriter {
  private static final byte[] SEPARATOR = {':', ' '};
  private static final byte[] CHUNKED = ResponseHead.ascii("transfer-encoding: chunked\r\n");
  private static final byte[] CLOSE = ResponseHead.ascii("connection: close\r\n");
  private static final byte[] KEEP_ALIVE = ResponseHead.ascii("connection: keep-alive\r\n");
  private static final byte[] SET_COOKIE = ResponseHead.ascii("set-cookie: ");
  private static final AsciiString STRICT_TRANSPORT_SECURITY = AsciiString.cached("strict-transport-security");
  private static final byte[] GZIP = ResponseHead.ascii("content-encoding: gzip\r\nvary: Accept-Encoding\r\n");
  private static final byte[] ETAG = ResponseHead.ascii("etag: ");
  private static final AsciiString GZIP_VALUE = AsciiString.cached("gzip");
  private static final AsciiString ACCEPT_ENCODING = AsciiString.cached("Accept-Encoding");

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
  /** The served-by header's name as HTTP/2 spells it (lower case), or null. */
  private final AsciiString servedByLowerCaseName;
  /** The whole Strict-Transport-Security line, or null. */
  private final byte[] hstsLine;
  private final AsciiString hsts;
  /** The request-ID header's name, "name: ", and the name in lower case, when clients are given the ID; else null. */
  private final String requestIdHeader;
  private final byte[] requestIdPrefix;
  private final AsciiString requestIdLowerCase;
  /** What {@code headers.response} sets and removes, or null. */
  private final FieldEdits edits;

  /** @param servedByHeader the response header naming the backend, or empty for none */
  HeaderRewriter(String servedByHeader) {
    this(servedByHeader, null, null, null);
  }

  /**
   * @param servedByHeader the response header naming the backend, or empty for none
   * @param hsts the Strict-Transport-Security value for every response (TLS listeners only), or null
   * @param requestIdHeader the header that gives clients their request's ID, or null for none
   * @param edits the fields {@code headers} sets and removes, or null for none
   */
  HeaderRewriter(String servedByHeader, String hsts, String requestIdHeader, FieldEdits edits) {
    this.edits = edits;
    this.requestIdHeader = requestIdHeader;
    this.requestIdPrefix = requestIdHeader == null ? null : ResponseHead.ascii(requestIdHeader + ": ");
    this.requestIdLowerCase = requestIdHeader == null ? null : AsciiString.of(requestIdHeader).toLowerCase();
    this.servedByHeader = servedByHeader == null || servedByHeader.isEmpty() ? null : AsciiString.of(servedByHeader);
    this.servedByBytes = this.servedByHeader == null ? null : ResponseHead.ascii(servedByHeader);
    this.servedByLowerCaseName = this.servedByHeader == null ? null : this.servedByHeader.toLowerCase();
    this.servedByLowerCase = this.servedByHeader == null ? null : ResponseHead.ascii(servedByLowerCaseName.toString());
    this.hsts = hsts == null ? null : AsciiString.of(hsts);
    this.hstsLine = hsts == null ? null : ResponseHead.ascii("strict-transport-security: " + hsts + "\r\n");
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
   * @param requestId the request's ID, or null
   */
  BodyFraming writeResponseHead(
      ByteBuf out, ResponseHead head, boolean http10Client, boolean keepClientAlive, boolean bodyFollows,
      String backendId, String cookie, String requestId) {
    BodyFraming framing = BodyFraming.AS_IS;
    int code = head.status;
    boolean mayHaveBody = code >= 200 && code != 204 && code != 304;
    // A HEAD response has no body whatever its headers say: nothing to frame, nothing to add.
    if (head.contentLength < 0 && !head.chunked && mayHaveBody && bodyFollows) {
      if (http10Client) {
        framing = BodyFraming.UNTIL_CLOSE;
      } else {
        framing = BodyFraming.RECHUNK;
      }
    } else if (http10Client && head.chunked) {
      head.dropTransferEncoding();
      framing = BodyFraming.UNTIL_CLOSE;
    }
    if (http10Client && head.otherCodings) {
      // Not for an HTTP/1.0 client (RFC 9112 6.1); only a response without a body gets this far.
      head.dropTransferEncoding();
    }
    if (edits != null) {
      edits.dropResponseFields(head);
    }
    head.writeKept(out);
    if (head.gzip) {
      out.writeBytes(GZIP);
      if (head.weakEtag != null) {
        out.writeBytes(ETAG).writeCharSequence(head.weakEtag, StandardCharsets.ISO_8859_1);
        out.writeShort(ResponseHead.CRLF);
      }
    }
    writeServedBy(out, backendId);
    writeRequestId(out, requestId);
    if (edits != null) {
      out.writeBytes(edits.responseLines());
    }
    if (hstsLine != null) {
      // After a backend's own, if it sent one: browsers heed the first (RFC 6797 section 8.1).
      out.writeBytes(hstsLine);
    }
    if (framing == BodyFraming.RECHUNK) {
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

  /** Writes the served-by line, when it is on. */
  void writeServedBy(ByteBuf out, String backendId) {
    if (servedByBytes != null) {
      out.writeBytes(servedByBytes).writeBytes(SEPARATOR);
      out.writeCharSequence(backendId, StandardCharsets.ISO_8859_1);
      out.writeShort(ResponseHead.CRLF);
    }
  }

  /**
   * Writes the request-ID line, when clients are given it. A backend's own line of that name is
   * passed on beside it: the backend may have its reasons, and stc's comes first.
   */
  void writeRequestId(ByteBuf out, String requestId) {
    if (requestIdPrefix != null && requestId != null) {
      out.writeBytes(requestIdPrefix).writeCharSequence(requestId, StandardCharsets.ISO_8859_1);
      out.writeShort(ResponseHead.CRLF);
    }
  }

  /**
   * Adds what stc says on every response to one of its own answers (an error, a gRPC status): the
   * request's ID and HSTS, as on a backend's response.
   */
  void ownAnswer(io.netty.handler.codec.http.HttpResponse r, String requestId) {
    if (edits != null) {
      edits.edit(r);
    }
    if (requestIdHeader != null && requestId != null) {
      r.headers().set(requestIdHeader, requestId);
    }
    if (hsts != null) {
      r.headers().set(STRICT_TRANSPORT_SECURITY, hsts);
    }
  }

  /**
   * A backend's response head for an HTTP/2 client: its forwarded fields (hop-by-hop lines are
   * already gone; HTTP/2 frames the body itself), then the proxy's own: served-by, the request ID,
   * HSTS and a sticky cookie. A flat array of fields, not a hash map: the encoder only walks them.
   *
   * @param cookie a Set-Cookie value to add, or null
   * @param requestId the request's ID, or null
   */
  Http2Headers http2ResponseHead(ResponseHead head, String backendId, String cookie, String requestId) {
    boolean withId = requestIdLowerCase != null && requestId != null;
    int set = 0;
    if (edits != null) {
      edits.dropResponseFields(head);
      set = edits.responseFieldCount();
    }
    int gzip = head.gzip ? (head.weakEtag != null ? 3 : 2) : 0;
    int room = (servedByLowerCaseName != null ? 1 : 0) + (withId ? 1 : 0) + (hsts != null ? 1 : 0) + (cookie != null ? 1 : 0) + set
        + gzip;
    AsciiString[] f = head.http2Fields(room);
    int k = f.length - 2 * room;
    if (gzip > 0) {
      f[k++] = HttpHeaderNames.CONTENT_ENCODING;
      f[k++] = GZIP_VALUE;
      f[k++] = HttpHeaderNames.VARY;
      f[k++] = ACCEPT_ENCODING;
      if (gzip == 3) {
        f[k++] = HttpHeaderNames.ETAG;
        f[k++] = new AsciiString(head.weakEtag);
      }
    }
    if (edits != null) {
      k = edits.addResponseFields(f, k);
    }
    if (servedByLowerCaseName != null) {
      f[k++] = servedByLowerCaseName;
      f[k++] = asciiBackendId(backendId);
    }
    if (withId) {
      f[k++] = requestIdLowerCase;
      f[k++] = new AsciiString(requestId);
    }
    if (hsts != null) {
      f[k++] = STRICT_TRANSPORT_SECURITY;
      f[k++] = hsts;
    }
    if (cookie != null) {
      f[k++] = HttpHeaderNames.SET_COOKIE;
      f[k] = new AsciiString(cookie);
    }
    return ReadOnlyHttp2Headers.serverHeaders(false, head.http2Status(), f);
  }

  /** Backend ids as HTTP/2 values, made once per id (up to a bound, against ids that never repeat). */
  private final ConcurrentHashMap<String, AsciiString> asciiIds = new ConcurrentHashMap<>();

  private AsciiString asciiBackendId(String id) {
    AsciiString a = asciiIds.get(id);
    if (a == null) {
      a = new AsciiString(id);
      if (asciiIds.size() < 4096) {
        asciiIds.put(id, a);
      }
    }
    return a;
  }

}
