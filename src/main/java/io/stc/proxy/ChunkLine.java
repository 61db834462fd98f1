package io.stc.proxy;

import io.netty.buffer.ByteBuf;

/**
 * A chunk-size line (RFC 9112 7.1): hexadecimal size, then extensions, each
 * {@code ;name[=token|quoted-string]} with optional whitespace around the punctuation. Extensions
 * are checked and then dropped: the proxy frames the body anew.
 */
final class ChunkLine {
  /** At most this many hex digits: 2^60 bytes, far past any body limit, and no overflow. */
  private static final int MAX_DIGITS = 15;

  private ChunkLine() {}

  /** The chunk size in {@code in[from, to)} (the line without its CRLF). */
  static long parse(ByteBuf in, int from, int to) {
    long size = 0;
    int i = from;
    while (i < to) {
      int d = hex(in.getByte(i));
      if (d < 0) {
        break;
      }
      size = (size << 4) | d;
      i++;
    }
    if (i == from || i - from > MAX_DIGITS) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid chunk size");
    }
    extensions(in, i, to);
    return size;
  }

  private static void extensions(ByteBuf in, int i, int to) {
    while (true) {
      i = skipOws(in, i, to);
      if (i == to) {
        return;
      }
      if (in.getByte(i) != ';') {
        throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid chunk extension");
      }
      i = token(in, skipOws(in, i + 1, to), to);
      int j = skipOws(in, i, to);
      if (j < to && in.getByte(j) == '=') {
        j = skipOws(in, j + 1, to);
        i = j < to && in.getByte(j) == '"' ? quoted(in, j, to) : token(in, j, to);
      }
    }
  }

  private static int token(ByteBuf in, int i, int to) {
    int t = i;
    while (i < to && FieldGrammar.isTchar(in.getByte(i))) {
      i++;
    }
    if (i == t) {
      throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid chunk extension");
    }
    return i;
  }

  /** Past a quoted-string starting at {@code i}: qdtext and quoted pairs of visible bytes only. */
  private static int quoted(ByteBuf in, int i, int to) {
    i++;
    while (i < to) {
      byte c = in.getByte(i);
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\') {
        i++;
        if (i == to || !FieldGrammar.isFieldValue(in.getByte(i))) {
          break;
        }
      } else if (!FieldGrammar.isFieldValue(c)) {
        break;
      }
      i++;
    }
    throw new RequestRejection(ProxyFailure.BAD_REQUEST, "invalid quoted string in a chunk extension");
  }

  private static int skipOws(ByteBuf in, int i, int to) {
    while (i < to && FieldGrammar.isOws(in.getByte(i))) {
      i++;
    }
    return i;
  }

  private static int hex(byte c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
