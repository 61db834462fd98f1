package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.stc.pool.Backend;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes a client's request head for a backend as HTTP/1.1 bytes in one pass over its headers, the
 * fields as {@link ForwardedFields} gives them; nothing in the parsed request changes (so a retry
 * writes it again as it came).
 */
final class RequestHeadWriter {
  private static final byte[] HTTP_1_1 = ResponseHead.ascii(" HTTP/1.1\r\n");
  private static final byte[] UPGRADE = ResponseHead.ascii("connection: upgrade\r\nupgrade: websocket\r\n");

  private RequestHeadWriter() {}

  /** @param backend where the request goes: its address is the Host sent when the client sent none (HTTP/1.0) */
  static void write(ByteBuf out, ForwardedRequest r, Backend backend) {
    HttpRequest req = r.head();
    out.writeCharSequence(req.method().asciiName(), StandardCharsets.ISO_8859_1);
    out.writeByte(' ');
    String uri = req.uri();
    out.writeCharSequence(uri.isEmpty() ? "/" : uri, StandardCharsets.ISO_8859_1);
    out.writeBytes(HTTP_1_1);
    ForwardedFields.write(r, backend, false, (name, value) -> header(out, name, value));
    if (r.upgradeRequested()) {
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
}
