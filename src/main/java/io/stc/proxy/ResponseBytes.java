package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/** The HTTP/1.x bytes the proxy writes itself: its own answers and the framing of re-chunked bodies. */
final class ResponseBytes {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};

  private ResponseBytes() {}

  /** A whole response the proxy answers with (an error, say), as HTTP/1.1 bytes. */
  static ByteBuf encode(FullHttpResponse r, ByteBufAllocator alloc) {
    ByteBuf body = r.content();
    ByteBuf out = alloc.buffer(128 + body.readableBytes());
    out.writeCharSequence(r.protocolVersion().text(), StandardCharsets.ISO_8859_1);
    out.writeByte(' ');
    out.writeCharSequence(r.status().codeAsText(), StandardCharsets.ISO_8859_1);
    out.writeByte(' ');
    out.writeCharSequence(r.status().reasonPhrase(), StandardCharsets.ISO_8859_1);
    out.writeShort(ResponseHead.CRLF);
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = r.headers().iteratorCharSequence(); it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> h = it.next();
      out.writeCharSequence(h.getKey(), StandardCharsets.ISO_8859_1);
      out.writeByte(':').writeByte(' ');
      out.writeCharSequence(h.getValue(), StandardCharsets.ISO_8859_1);
      out.writeShort(ResponseHead.CRLF);
    }
    out.writeShort(ResponseHead.CRLF);
    out.writeBytes(body, body.readerIndex(), body.readableBytes());
    r.release();
    return out;
  }

  /** The size line that starts a chunk of {@code size} bytes. */
  static ByteBuf chunkStart(int size, ByteBufAllocator alloc) {
    ByteBuf out = alloc.buffer(12);
    out.writeCharSequence(Integer.toHexString(size), StandardCharsets.ISO_8859_1);
    out.writeShort(ResponseHead.CRLF);
    return out;
  }

  static ByteBuf chunkEnd() {
    return Unpooled.wrappedBuffer(CRLF);
  }

  static ByteBuf lastChunk() {
    return Unpooled.wrappedBuffer(LAST_CHUNK);
  }
}
