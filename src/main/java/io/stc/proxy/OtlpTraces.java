package io.stc.proxy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Spans in OTLP's protobuf encoding: an {@code ExportTraceServiceRequest} (one resource, one
 * scope), the body of an OTLP/HTTP {@code POST /v1/traces} with {@code application/x-protobuf},
 * the encoding every collector takes. Written by hand, field by field as
 * {@code opentelemetry/proto/trace/v1/trace.proto} numbers them, so stc needs no protobuf runtime.
 */
final class OtlpTraces {
  private OtlpTraces() {}

  /**
   * The request body for {@code spans} of a service with these resource attributes.
   *
   * @param resource attribute names and values (String, Long, Double or Boolean), in order
   */
  static byte[] encode(Map<String, Object> resource, String scopeName, String scopeVersion, List<FinishedSpan> spans) {
    Proto scopeSpans = new Proto();
    Proto scope = new Proto();
    scope.string(1, scopeName).string(2, scopeVersion);
    scopeSpans.message(1, scope);
    for (FinishedSpan s : spans) {
      scopeSpans.message(2, span(s));
    }
    Proto res = new Proto();
    for (Map.Entry<String, Object> e : resource.entrySet()) {
      res.message(1, keyValue(e.getKey(), e.getValue()));
    }
    Proto resourceSpans = new Proto();
    resourceSpans.message(1, res).message(2, scopeSpans);
    return new Proto().message(1, resourceSpans).toByteArray();
  }

  private static Proto span(FinishedSpan s) {
    Proto p = new Proto();
    p.bytes(1, id(s.traceHi(), s.traceLo())).bytes(2, id(s.spanId()));
    if (s.traceState() != null && !s.traceState().isEmpty()) {
      p.string(3, s.traceState());
    }
    if (s.parentId() != 0) {
      p.bytes(4, id(s.parentId()));
    }
    p.string(5, s.name()).varint(6, s.kind()).fixed64(7, s.startEpochNanos()).fixed64(8, s.endEpochNanos());
    String[] keys = s.keys();
    Object[] values = s.values();
    for (int i = 0; i < keys.length; i++) {
      if (values[i] != null) {
        p.message(9, keyValue(keys[i], values[i]));
      }
    }
    if (s.errorMessage() != null) {
      // Status: message 2, code 3 (STATUS_CODE_ERROR = 2). A span that did not fail leaves it unset.
      Proto status = new Proto();
      if (!s.errorMessage().isEmpty()) {
        status.string(2, s.errorMessage());
      }
      p.message(15, status.varint(3, 2));
    }
    p.fixed32(16, s.flags());
    return p;
  }

  private static Proto keyValue(String key, Object value) {
    Proto any = new Proto();
    if (value instanceof String v) {
      any.string(1, v);
    } else if (value instanceof Boolean v) {
      any.varint(2, v ? 1 : 0);
    } else if (value instanceof Long || value instanceof Integer) {
      any.varint(3, ((Number) value).longValue());
    } else if (value instanceof Double v) {
      any.fixed64(4, Double.doubleToRawLongBits(v));
    } else {
      any.string(1, String.valueOf(value));
    }
    return new Proto().string(1, key).message(2, any);
  }

  private static byte[] id(long hi, long lo) {
    byte[] b = new byte[16];
    put(b, 0, hi);
    put(b, 8, lo);
    return b;
  }

  private static byte[] id(long v) {
    byte[] b = new byte[8];
    put(b, 0, v);
    return b;
  }

  /** Big-endian, as the IDs are written in hex: the first hex digit is the first byte's high nibble. */
  private static void put(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }

  /** A protobuf message being written: fields in order, each a tag and its value. */
  static final class Proto {
    private byte[] buf = new byte[64];
    private int size;

    Proto varint(int field, long v) {
      tag(field, 0);
      raw(v);
      return this;
    }

    Proto fixed64(int field, long v) {
      tag(field, 1);
      room(8);
      for (int i = 0; i < 8; i++) {
        buf[size++] = (byte) (v >>> (8 * i));
      }
      return this;
    }

    Proto fixed32(int field, int v) {
      tag(field, 5);
      room(4);
      for (int i = 0; i < 4; i++) {
        buf[size++] = (byte) (v >>> (8 * i));
      }
      return this;
    }

    Proto bytes(int field, byte[] b) {
      return bytes(field, b, b.length);
    }

    Proto string(int field, String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      return bytes(field, b, b.length);
    }

    Proto message(int field, Proto m) {
      return bytes(field, m.buf, m.size);
    }

    private Proto bytes(int field, byte[] b, int length) {
      tag(field, 2);
      raw(length);
      room(length);
      System.arraycopy(b, 0, buf, size, length);
      size += length;
      return this;
    }

    private void tag(int field, int wireType) {
      raw((long) field << 3 | wireType);
    }

    private void raw(long v) {
      room(10);
      while ((v & ~0x7FL) != 0) {
        buf[size++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[size++] = (byte) v;
    }

    private void room(int n) {
      if (size + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
      }
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, size);
    }
  }
}
