package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * A block of CRLF-ended lines closed by an empty line (a request head, or a trailer section),
 * found a read at a time in a client's bytes and then parsed from one copy.
 *
 * <p>Offsets are kept from the buffer's reader index, which stays put until the block is consumed,
 * so each byte is scanned once however the block is split across reads. Every line end must be
 * CRLF: a bare LF is refused here, a bare CR by the grammar of whatever line holds it.
 */
final class FieldSection {
  private int scanned;
  private int lineStart;
  /** Offset just past the first line, for a head; -1 until it is found, and always for trailers. */
  private int firstLineEnd = -1;
  private byte[] bytes = new byte[1024];

  boolean started() {
    return scanned > 0;
  }

  void reset() {
    scanned = 0;
    lineStart = 0;
    firstLineEnd = -1;
    if (bytes.length > RETAINED_BYTES) {
      // One large head must not cost the connection that much memory for the rest of its life.
      bytes = new byte[1024];
    }
  }

  private static final int RETAINED_BYTES = 16 * 1024;

  /**
   * The length of the whole block, its empty line included, once it is all in {@code in}; -1 while
   * more bytes are needed.
   *
   * @param maxFirst for a head, the longest request line (414 beyond)
   * @param maxFields the most bytes of field lines (431 beyond)
   * @param head whether the first line is a request line rather than a field
   */
  int find(ByteBuf in, int maxFirst, int maxFields, boolean head) {
    int r = in.readerIndex();
    int w = in.writerIndex();
    int i = r + scanned;
    while (true) {
      int lf = i < w ? in.indexOf(i, w, (byte) '\n') : -1;
      if (lf < 0) {
        scanned = w - r;
        checkPending(maxFirst, maxFields, head);
        return -1;
      }
      int end = lf - r;
      if (end == lineStart || in.getByte(lf - 1) != '\r') {
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "line ended by a bare LF");
      }
      int contentLength = end - 1 - lineStart;
      if (contentLength == 1 && in.getByte(r + lineStart) == '\r') {
        // CR CR LF: not the empty line that ends the block, and never a field.
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "bare CR at the end of a field section");
      }
      if (head && firstLineEnd < 0) {
        if (contentLength > maxFirst) {
          throw new RequestRejection(ProxyFailure.URI_TOO_LONG, "request line over " + maxFirst + " bytes");
        }
        firstLineEnd = end + 1;
      } else if (contentLength == 0) {
        return end + 1;
      } else if (end + 1 - Math.max(firstLineEnd, 0) > maxFields) {
        throw new RequestRejection(ProxyFailure.HEADERS_TOO_LARGE, "field section over " + maxFields + " bytes");
      }
      lineStart = end + 1;
      i = lf + 1;
      scanned = i - r;
    }
  }

  private void checkPending(int maxFirst, int maxFields, boolean head) {
    if (head && firstLineEnd < 0) {
      if (scanned - lineStart > maxFirst + 1) {
        throw new RequestRejection(ProxyFailure.URI_TOO_LONG, "request line over " + maxFirst + " bytes");
      }
    } else if (scanned - Math.max(firstLineEnd, 0) > maxFields + 2) {
      throw new RequestRejection(ProxyFailure.HEADERS_TOO_LARGE, "field section over " + maxFields + " bytes");
    }
  }

  /** Copies the found block of {@code length} bytes out of {@code in} (not consumed) and parses it as a request head. */
  RequestHead parseHead(ByteBuf in, int length, int maxFields) {
    byte[] b = copy(in, length);
    RequestHead head = new RequestHead();
    int lf = indexOfCrlf(b, 0, length);
    head.requestLine(b, 0, lf);
    int pos = lf + 2;
    int fields = 0;
    while (pos < length - 2) {
      int e = indexOfCrlf(b, pos, length);
      if (++fields > maxFields) {
        throw new RequestRejection(ProxyFailure.HEADERS_TOO_LARGE, "more than " + maxFields + " header fields");
      }
      head.field(b, pos, e);
      pos = e + 2;
    }
    head.finish();
    return head;
  }

  /** Copies and parses a found trailer section into {@code into}, leaving out fields that must not travel as trailers. */
  HttpHeaders parseTrailers(ByteBuf in, int length, int maxFields, HttpHeaders into) {
    byte[] b = copy(in, length);
    int pos = 0;
    int fields = 0;
    while (pos < length - 2) {
      int e = indexOfCrlf(b, pos, length);
      if (++fields > maxFields) {
        throw new RequestRejection(ProxyFailure.HEADERS_TOO_LARGE, "more than " + maxFields + " trailer fields");
      }
      int colon = nameEnd(b, pos, e);
      int v = valueStart(b, colon + 1, e);
      int ve = valueEnd(b, v, e);
      if (!RequestHead.isHopOrFraming(b, pos, colon)) {
        into.add(new AsciiString(b, pos, colon - pos, true), new AsciiString(b, v, ve - v, true));
      }
      pos = e + 2;
    }
    return into;
  }

  private byte[] copy(ByteBuf in, int length) {
    if (bytes.length < length) {
      bytes = new byte[Math.max(length, bytes.length * 2)];
    }
    in.getBytes(in.readerIndex(), bytes, 0, length);
    return bytes;
  }

  private static int indexOfCrlf(byte[] b, int from, int to) {
    for (int i = from; i < to - 1; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n') {
        return i;
      }
    }
    return to;
  }

  /** The colon of a field line {@code b[from, to)}, after a token name with nothing between them. */
  static int nameEnd(byte[] b, int from, int to) {
    if (from < to && FieldGrammar.isOws(b[from])) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "folded field line (obs-fold)");
    }
    int i = from;
    while (i < to && FieldGrammar.isTchar(b[i])) {
      i++;
    }
    if (i == from || i == to || b[i] != ':') {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid field name");
    }
    return i;
  }

  /** Where a field value starts, after the colon and optional whitespace. */
  static int valueStart(byte[] b, int from, int to) {
    int v = from;
    while (v < to && FieldGrammar.isOws(b[v])) {
      v++;
    }
    return v;
  }

  /** Where a field value ends, trailing whitespace left out; every byte in it checked. */
  static int valueEnd(byte[] b, int from, int to) {
    int ve = to;
    while (ve > from && FieldGrammar.isOws(b[ve - 1])) {
      ve--;
    }
    for (int i = from; i < ve; i++) {
      if (!FieldGrammar.isFieldValue(b[i])) {
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "control byte 0x" + Integer.toHexString(b[i] & 0xff) + " in a field value");
      }
    }
    return ve;
  }
}
