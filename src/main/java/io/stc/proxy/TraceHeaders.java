package io.stc.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.stc.config.StcConfig;
import java.util.List;

/**
 * The trace context formats stc reads from callers and writes to backends ({@code tracing.propagation}):
 * W3C Trace Context's {@code traceparent}, and Zipkin's B3 as one {@code b3} header or as the
 * {@code X-B3-*} set (Envoy's and older Zipkin instrumentation's). A caller's context is taken from
 * the first of them it sent valid, in that order; a backend gets every one configured, and a
 * client's own headers of those formats never reach it beside stc's.
 */
final class TraceHeaders {
  static final AsciiString B3 = AsciiString.cached("b3");
  static final AsciiString B3_TRACE_ID = AsciiString.cached("x-b3-traceid");
  static final AsciiString B3_SPAN_ID = AsciiString.cached("x-b3-spanid");
  static final AsciiString B3_PARENT_SPAN_ID = AsciiString.cached("x-b3-parentspanid");
  static final AsciiString B3_SAMPLED = AsciiString.cached("x-b3-sampled");
  static final AsciiString B3_FLAGS = AsciiString.cached("x-b3-flags");
  private static final AsciiString[] B3_MULTI = {B3_TRACE_ID, B3_SPAN_ID, B3_PARENT_SPAN_ID, B3_SAMPLED, B3_FLAGS};
  /** A B3 caller that left the sampling decision to stc: the flags of its {@link TraceParent}. */
  static final int DEFERRED = 0x100;

  /** What W3C Trace Context alone, the default, reads and writes. */
  static final TraceHeaders W3C = new TraceHeaders(List.of(StcConfig.Tracing.Propagation.TRACECONTEXT));

  private final boolean w3c;
  private final boolean b3;
  private final boolean b3multi;

  TraceHeaders(List<StcConfig.Tracing.Propagation> formats) {
    this.w3c = formats.contains(StcConfig.Tracing.Propagation.TRACECONTEXT);
    this.b3 = formats.contains(StcConfig.Tracing.Propagation.B3);
    this.b3multi = formats.contains(StcConfig.Tracing.Propagation.B3MULTI);
  }

  /** The caller's context, from the first format configured that it sent, valid and once; null for none. */
  TraceParent extract(HttpHeaders h) {
    if (w3c) {
      String v = h.get(TraceParent.HEADER);
      if (v != null) {
        return h.getAll(TraceParent.HEADER).size() == 1 ? TraceParent.parse(v) : null;
      }
    }
    if (b3) {
      String v = h.get(B3);
      if (v != null) {
        return h.getAll(B3).size() == 1 ? single(v.trim()) : null;
      }
    }
    if (b3multi) {
      String trace = h.get(B3_TRACE_ID);
      String span = h.get(B3_SPAN_ID);
      if (trace != null && span != null) {
        return multi(trace.trim(), span.trim(), h.get(B3_SAMPLED), h.get(B3_FLAGS));
      }
    }
    return null;
  }

  /** Whether a client's field of this name is one stc writes itself, and is not sent on. */
  boolean replaces(CharSequence name) {
    int n = name.length();
    if (w3c && n == 11 && AsciiString.contentEqualsIgnoreCase(name, TraceParent.HEADER)) {
      return true;
    }
    if (b3 && n == 2 && AsciiString.contentEqualsIgnoreCase(name, B3)) {
      return true;
    }
    if (b3multi && n >= 10 && n <= 17 && (name.charAt(0) == 'x' || name.charAt(0) == 'X')) {
      for (AsciiString m : B3_MULTI) {
        if (m.length() == n && AsciiString.contentEqualsIgnoreCase(name, m)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The fields a backend gets for span {@code spanId} (under {@code parentId}) of the trace.
   *
   * @param traceparent the W3C value, made already
   * @param shortId the caller named the trace in B3's 64 bits: it is written so again
   */
  void write(AsciiString traceparent, long traceHi, long traceLo, boolean shortId, long spanId, long parentId, boolean sampled,
      ForwardedFields.Sink sink) {
    if (w3c) {
      sink.field(TraceParent.HEADER, traceparent);
    }
    if (!b3 && !b3multi) {
      return;
    }
    String trace = shortId && traceHi == 0 ? TraceParent.hex(traceLo) : TraceParent.traceId(traceHi, traceLo);
    String span = TraceParent.hex(spanId);
    if (b3) {
      sink.field(B3, trace + "-" + span + (sampled ? "-1" : "-0"));
    }
    if (b3multi) {
      sink.field(B3_TRACE_ID, trace);
      sink.field(B3_SPAN_ID, span);
      if (parentId != 0) {
        sink.field(B3_PARENT_SPAN_ID, TraceParent.hex(parentId));
      }
      sink.field(B3_SAMPLED, sampled ? "1" : "0");
    }
  }

  /** {@code TraceId-SpanId[-SamplingState[-ParentSpanId]]}; a bare sampling state carries no trace to join. */
  static TraceParent single(String v) {
    int a = v.indexOf('-');
    if (a < 0) {
      return null;
    }
    int b = v.indexOf('-', a + 1);
    String trace = v.substring(0, a);
    String span = b < 0 ? v.substring(a + 1) : v.substring(a + 1, b);
    String sampling = null;
    if (b >= 0) {
      int c = v.indexOf('-', b + 1);
      sampling = c < 0 ? v.substring(b + 1) : v.substring(b + 1, c);
      if (c >= 0 && id64(v.substring(c + 1)) == 0) {
        return null;
      }
    }
    int flags;
    if (sampling == null) {
      flags = DEFERRED;
    } else if (sampling.equals("1") || sampling.equals("d")) {
      flags = TraceParent.SAMPLED;
    } else if (sampling.equals("0")) {
      flags = 0;
    } else {
      return null;
    }
    return context(trace, span, flags);
  }

  static TraceParent multi(String trace, String span, String sampled, String debug) {
    int flags;
    if ("1".equals(debug == null ? null : debug.trim())) {
      flags = TraceParent.SAMPLED;
    } else if (sampled == null) {
      flags = DEFERRED;
    } else {
      String s = sampled.trim();
      // "true" and "false" are what some early instrumentation wrote.
      if (s.equals("1") || s.equalsIgnoreCase("true")) {
        flags = TraceParent.SAMPLED;
      } else if (s.equals("0") || s.equalsIgnoreCase("false")) {
        flags = 0;
      } else {
        return null;
      }
    }
    return context(trace, span, flags);
  }

  private static TraceParent context(String trace, String span, int flags) {
    if ((trace.length() != 16 && trace.length() != 32) || !isHex(trace) || span.length() != 16 || !isHex(span)) {
      return null;
    }
    long hi = trace.length() == 32 ? id64(trace.substring(0, 16)) : 0;
    long lo = id64(trace.substring(trace.length() - 16));
    long s = id64(span);
    if ((hi == 0 && lo == 0) || s == 0) {
      return null;
    }
    return new TraceParent(hi, lo, s, flags);
  }

  /** Lower-case hex digits only (B3, as W3C, has no upper case). */
  private static boolean isHex(String v) {
    for (int i = 0; i < v.length(); i++) {
      if (TraceParent.hexDigit(v.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  /** The value of 16 hex digits; 0, never a valid ID, for anything else. */
  private static long id64(String v) {
    if (v.length() != 16 || !isHex(v)) {
      return 0;
    }
    return Long.parseUnsignedLong(v, 16);
  }
}
