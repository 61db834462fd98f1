package io.stc.proxy;

import io.netty.util.AsciiString;

/**
 * A W3C Trace Context {@code traceparent} value: version, 128-bit trace ID, the caller's span ID
 * and flags (bit 0: sampled). {@link #parse} follows the recommendation's rules for a receiver:
 * lower-case hex only, no all-zero IDs, version {@code ff} never, a later version read by its first
 * four fields.
 */
record TraceParent(long traceHi, long traceLo, long parentId, int flags) {
  static final AsciiString HEADER = AsciiString.cached("traceparent");
  static final AsciiString STATE_HEADER = AsciiString.cached("tracestate");
  static final int SAMPLED = 0x01;
  /** {@code 00-} + 32 + {@code -} + 16 + {@code -} + 2. */
  static final int LENGTH = 55;
  private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  boolean sampled() {
    return (flags & SAMPLED) != 0;
  }

  /** The value's fields, or null when it is not a valid traceparent (then the caller's trace is not joined). */
  static TraceParent parse(CharSequence v) {
    if (v == null) {
      return null;
    }
    int n = v.length();
    // Surrounding spaces are optional whitespace of the field, not of the value.
    int from = 0;
    while (from < n && (v.charAt(from) == ' ' || v.charAt(from) == '\t')) {
      from++;
    }
    while (n > from && (v.charAt(n - 1) == ' ' || v.charAt(n - 1) == '\t')) {
      n--;
    }
    int len = n - from;
    if (len < LENGTH) {
      return null;
    }
    int version = hexByte(v, from);
    if (version < 0 || version == 0xff) {
      return null;
    }
    // Version 00 is exactly 55 characters; a later one may add fields after a dash.
    if ((version == 0 && len != LENGTH) || (version > 0 && len > LENGTH && v.charAt(from + LENGTH) != '-')) {
      return null;
    }
    if (v.charAt(from + 2) != '-' || v.charAt(from + 35) != '-' || v.charAt(from + 52) != '-') {
      return null;
    }
    long hi = 0;
    long lo = 0;
    long parent = 0;
    for (int i = 0; i < 16; i++) {
      int a = hexDigit(v.charAt(from + 3 + i));
      int b = hexDigit(v.charAt(from + 19 + i));
      int c = hexDigit(v.charAt(from + 36 + i));
      if ((a | b | c) < 0) {
        return null;
      }
      hi = hi << 4 | a;
      lo = lo << 4 | b;
      parent = parent << 4 | c;
    }
    int flags = hexByte(v, from + 53);
    if (flags < 0 || (hi == 0 && lo == 0) || parent == 0) {
      return null;
    }
    return new TraceParent(hi, lo, parent, flags);
  }

  /** The version-00 value for a trace, a span in it and the flags. */
  static AsciiString format(long traceHi, long traceLo, long spanId, int flags) {
    byte[] b = new byte[LENGTH];
    b[0] = '0';
    b[1] = '0';
    b[2] = '-';
    hex(b, 3, traceHi);
    hex(b, 19, traceLo);
    b[35] = '-';
    hex(b, 36, spanId);
    b[52] = '-';
    b[53] = HEX[(flags >> 4) & 0xf];
    b[54] = HEX[flags & 0xf];
    return new AsciiString(b, false);
  }

  /** 32 hex digits of a trace ID, as logs and tracing UIs show it. */
  static String traceId(long hi, long lo) {
    byte[] b = new byte[32];
    hex(b, 0, hi);
    hex(b, 16, lo);
    return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** 16 hex digits of a span ID (or half a trace ID). */
  static String hex(long v) {
    byte[] b = new byte[16];
    hex(b, 0, v);
    return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
  }

  private static void hex(byte[] b, int at, long v) {
    for (int i = 15; i >= 0; i--) {
      b[at + i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
  }

  private static int hexByte(CharSequence v, int at) {
    int a = hexDigit(v.charAt(at));
    int b = hexDigit(v.charAt(at + 1));
    return (a | b) < 0 ? -1 : a << 4 | b;
  }

  /** A lower-case hex digit's value, else -1 (the recommendation allows no upper case). */
  static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }
}
