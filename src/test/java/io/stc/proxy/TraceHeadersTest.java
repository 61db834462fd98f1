package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.stc.config.StcConfig.Tracing.Propagation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** B3 as Zipkin's specification writes it, one header or several, beside W3C's traceparent. */
class TraceHeadersTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN = "00f067aa0ba902b7";

  @Test
  void b3InOneHeaderIsReadWithOrWithoutItsDecisionAndBadOnesAreNot() {
    assertThat(TraceHeaders.single(TRACE + "-" + SPAN + "-1")).isEqualTo(new TraceParent(0x4bf92f3577b34da6L, 0xa3ce929d0e0e4736L, 0x00f067aa0ba902b7L, 1));
    assertThat(TraceHeaders.single(TRACE + "-" + SPAN + "-d").sampled()).isTrue();
    assertThat(TraceHeaders.single(TRACE + "-" + SPAN + "-0").sampled()).isFalse();
    assertThat(TraceHeaders.single(TRACE + "-" + SPAN).flags()).isEqualTo(TraceHeaders.DEFERRED);
    assertThat(TraceHeaders.single(TRACE + "-" + SPAN + "-1-" + "05e3ac9a4f6e3b90")).isNotNull();
    // 64-bit trace IDs, as older Zipkin instrumentation makes them.
    assertThat(TraceHeaders.single("a3ce929d0e0e4736-" + SPAN + "-1")).isEqualTo(new TraceParent(0, 0xa3ce929d0e0e4736L, 0x00f067aa0ba902b7L, 1));
    for (String bad : List.of("0", "1", "d", TRACE, TRACE + "-" + SPAN + "-2", TRACE + "-" + SPAN + "-1-", TRACE.toUpperCase() + "-" + SPAN,
        TRACE + "-" + SPAN.substring(1), "4bf92f3577b34da6a3ce929d0e0e473-" + SPAN, TRACE.substring(0, 16) + "zzzzzzzzzzzzzzzz-" + SPAN,
        "00000000000000000000000000000000-" + SPAN, TRACE + "-0000000000000000", TRACE + "-" + SPAN + "-1-0000000000000000")) {
      assertThat(TraceHeaders.single(bad)).as(bad).isNull();
    }
  }

  @Test
  void b3InSeveralHeadersIsReadWithTheDebugFlagAndTheEarlyTrueAndFalse() {
    assertThat(TraceHeaders.multi(TRACE, SPAN, "1", null).sampled()).isTrue();
    assertThat(TraceHeaders.multi(TRACE, SPAN, "true", null).sampled()).isTrue();
    assertThat(TraceHeaders.multi(TRACE, SPAN, "0", null).sampled()).isFalse();
    assertThat(TraceHeaders.multi(TRACE, SPAN, "false", "1").sampled()).isTrue();
    assertThat(TraceHeaders.multi(TRACE, SPAN, null, null).flags()).isEqualTo(TraceHeaders.DEFERRED);
    assertThat(TraceHeaders.multi(TRACE, SPAN, "yes", null)).isNull();
    assertThat(TraceHeaders.multi(TRACE, "xyz", "1", null)).isNull();
  }

  @Test
  void aCallerIsReadFromTheFirstFormatConfiguredAndEveryFormatIsWritten() {
    TraceHeaders all = new TraceHeaders(List.of(Propagation.TRACECONTEXT, Propagation.B3, Propagation.B3MULTI));
    HttpHeaders h = new DefaultHttpHeaders()
        .add("traceparent", "00-" + TRACE + "-" + SPAN + "-01")
        .add("b3", "1111111111111111-2222222222222222-0")
        .add("X-B3-TraceId", "3333333333333333").add("X-B3-SpanId", "4444444444444444");
    assertThat(all.extract(h).traceLo()).isEqualTo(0xa3ce929d0e0e4736L);
    h.remove("traceparent");
    assertThat(all.extract(h).traceLo()).isEqualTo(0x1111111111111111L);
    h.remove("b3");
    assertThat(all.extract(h).traceLo()).isEqualTo(0x3333333333333333L);
    // A format not configured is a header like any other: it goes through, and is not read.
    assertThat(TraceHeaders.W3C.extract(h)).isNull();
    assertThat(TraceHeaders.W3C.replaces("X-B3-TraceId")).isFalse();
    assertThat(all.replaces("X-B3-TraceId")).isTrue();
    assertThat(all.replaces("x-b3-parentspanid")).isTrue();
    assertThat(all.replaces("B3")).isTrue();
    assertThat(all.replaces("tracestate")).isFalse();
    assertThat(all.replaces("x-b3-other")).isFalse();

    List<String> written = new ArrayList<>();
    all.write(new AsciiString("00-" + TRACE + "-5555555555555555-01"), 0x4bf92f3577b34da6L, 0xa3ce929d0e0e4736L, false,
        0x5555555555555555L, 0x6666666666666666L, true, (name, value) -> written.add(name + ": " + value));
    assertThat(written).containsExactly(
        "traceparent: 00-" + TRACE + "-5555555555555555-01",
        "b3: " + TRACE + "-5555555555555555-1",
        "x-b3-traceid: " + TRACE, "x-b3-spanid: 5555555555555555", "x-b3-parentspanid: 6666666666666666", "x-b3-sampled: 1");
    written.clear();
    // A 64-bit trace goes on in 64 bits, to instrumentation that may know no other.
    new TraceHeaders(List.of(Propagation.B3)).write(null, 0, 0xa3ce929d0e0e4736L, true, 0x5555555555555555L, 0, false,
        (name, value) -> written.add(name + ": " + value));
    assertThat(written).containsExactly("b3: a3ce929d0e0e4736-5555555555555555-0");
  }
}
