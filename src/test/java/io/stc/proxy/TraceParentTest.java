package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.Span;
import io.stc.config.StcConfig;
import io.stc.testing.OtlpCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** W3C traceparent values as a receiver must read them, the sampling share, and spans as OTLP's classes read them. */
class TraceParentTest {
  @Test
  void validValuesAreReadAndEverythingTheRecommendationRulesOutIsNot() {
    TraceParent p = TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    assertThat(p).isEqualTo(new TraceParent(0x4bf92f3577b34da6L, 0xa3ce929d0e0e4736L, 0x00f067aa0ba902b7L, 1));
    assertThat(p.sampled()).isTrue();
    assertThat(TraceParent.parse(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00\t").sampled()).isFalse();
    // A later version: its first four fields, whatever follows a dash.
    assertThat(TraceParent.parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-xyz")).isNotNull();
    assertThat(TraceParent.parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09xyz")).isNull();
    for (String bad : List.of(
        "", "00", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x")) {
      assertThat(TraceParent.parse(bad)).as(bad).isNull();
    }
  }

  @Property(tries = 1000)
  void whatIsWrittenReadsBack(@ForAll long hi, @ForAll long lo, @ForAll long span, @ForAll boolean sampled) {
    String v = TraceParent.format(hi, lo, span, sampled ? 1 : 0).toString();
    TraceParent p = TraceParent.parse(v);
    if ((hi == 0 && lo == 0) || span == 0) {
      assertThat(p).isNull();
    } else {
      assertThat(p).isEqualTo(new TraceParent(hi, lo, span, sampled ? 1 : 0));
      assertThat(TraceParent.traceId(hi, lo)).isEqualTo(v.substring(3, 35));
    }
  }

  @Test
  void theShareOfNewTracesRecordedIsTheSampleAndCallersDecideForTheirOwn() {
    HttpHeaders none = new DefaultHttpHeaders();
    for (double share : new double[] {0, 0.01, 0.25, 1}) {
      long threshold = ProxySettings.traceSampleThreshold(new StcConfig.Tracing("http://c:4318/v1/traces", share, "stc", Map.of(), StcConfig.RequestId.Incoming.KEEP, java.util.List.of(StcConfig.Tracing.Propagation.TRACECONTEXT)));
      RequestTrace t = new RequestTrace();
      int recorded = 0;
      int n = 40_000;
      for (int i = 0; i < n; i++) {
        t.start(threshold, true, TraceHeaders.W3C, none, 0);
        if (t.forwarded() == null) {
          t.attemptBegan(null, 0);
        }
        recorded += t.forwarded().toString().endsWith("-01") ? 1 : 0;
      }
      // Binomial: within five standard deviations.
      double sd = Math.sqrt(n * share * (1 - share));
      assertThat((double) recorded).as("share %s", share).isBetween(n * share - 5 * sd - 1, n * share + 5 * sd + 1);
    }
    assertThat(ProxySettings.traceSampleThreshold(StcConfig.Tracing.OFF)).isEqualTo(-1);
    RequestTrace t = new RequestTrace();
    HttpHeaders caller = new DefaultHttpHeaders().add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    t.start(0, true, TraceHeaders.W3C, caller, 0);
    t.attemptBegan(null, 0);
    assertThat(t.forwarded().toString()).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-").endsWith("-01");
    t.start(-1, true, TraceHeaders.W3C, caller, 0);
    assertThat(t.on()).isFalse();
    assertThat(t.traceId()).isNull();
  }

  @Test
  void spansReadBackThroughOpenTelemetrysOwnClassesWithEveryKindOfAttribute() throws Exception {
    Map<String, Object> resource = new LinkedHashMap<>();
    resource.put("service.name", "ünïcode-edge");
    resource.put("process.pid", 4242L);
    FinishedSpan s = new FinishedSpan(0x4bf92f3577b34da6L, 0xa3ce929d0e0e4736L, 0x00f067aa0ba902b7L, -1L, "k=v", "POST",
        FinishedSpan.SERVER, 0x301, 1_700_000_000_123_456_789L, 1_700_000_000_223_456_789L,
        new String[] {"s", "l", "neg", "d", "b", "absent"}, new Object[] {"x", 7L, -3L, 2.5, true, null}, "the backend hung");
    byte[] body = OtlpTraces.encode(resource, "io.stc.proxy", "0.1.0", List.of(s, s));
    ExportTraceServiceRequest r = ExportTraceServiceRequest.parseFrom(body);
    assertThat(r.getResourceSpansCount()).isEqualTo(1);
    assertThat(OtlpCollector.attributes(r.getResourceSpans(0).getResource().getAttributesList()))
        .containsExactlyEntriesOf(resource);
    assertThat(r.getResourceSpans(0).getScopeSpans(0).getScope().getVersion()).isEqualTo("0.1.0");
    Span span = r.getResourceSpans(0).getScopeSpans(0).getSpans(1);
    assertThat(OtlpCollector.hex(span.getTraceId().toByteArray())).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(OtlpCollector.hex(span.getSpanId().toByteArray())).isEqualTo("00f067aa0ba902b7");
    assertThat(OtlpCollector.hex(span.getParentSpanId().toByteArray())).isEqualTo("ffffffffffffffff");
    assertThat(span.getTraceState()).isEqualTo("k=v");
    assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(span.getStartTimeUnixNano()).isEqualTo(1_700_000_000_123_456_789L);
    assertThat(span.getEndTimeUnixNano()).isEqualTo(1_700_000_000_223_456_789L);
    assertThat(span.getFlags()).isEqualTo(0x301);
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("s", "x");
    expected.put("l", 7L);
    expected.put("neg", -3L);
    expected.put("d", 2.5);
    expected.put("b", true);
    assertThat(OtlpCollector.attributes(span.getAttributesList())).containsExactlyEntriesOf(expected);
    assertThat(span.getStatus().getCode()).isEqualTo(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(span.getStatus().getMessage()).isEqualTo("the backend hung");
  }

  @Test
  void pathsLeaveTheQueryOut() {
    assertThat(RequestTrace.path("/a/b?token=1")).isEqualTo("/a/b");
    assertThat(RequestTrace.path("/a/b")).isEqualTo("/a/b");
    assertThat(RequestTrace.path("http://h:1/x?y")).isEqualTo("/x");
    assertThat(RequestTrace.path("http://h:1")).isEqualTo("/");
    assertThat(RequestTrace.path("*")).isEqualTo("*");
  }
}
