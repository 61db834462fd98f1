package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.proto.trace.v1.Status;
import io.stc.StcServer;
import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.OtlpCollector;
import io.stc.testing.RawBackend;
import io.stc.testing.RecordingBackend;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code tracing}: W3C Trace Context to every backend and OpenTelemetry spans by OTLP/HTTP, read
 * back with OpenTelemetry's own protobuf classes: a server span per request, a client span per
 * attempt under it (the backend's parent), the caller's trace joined, and its sampling decision kept.
 */
class TracingThroughProxyTest {
  private static final Pattern TRACEPARENT = Pattern.compile("(?im)^traceparent: (00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2}))$");

  private final List<AutoCloseable> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private StcServer stc;
  private StcConfig config;

  @AfterEach
  void stop() throws Exception {
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).close();
    }
  }

  private <T extends AutoCloseable> T started(T t) {
    started.add(t);
    return t;
  }

  private int stc(StcConfig.Tracing tracing, int... backendPorts) throws Exception {
    config = RawBackend.alone(StcConfig.defaults()
            .withHost("127.0.0.1").withPort(0).withIoThreads(1)
            .withAdmin(StcConfig.Admin.defaults().withPort(0))
            .withStateDir(Files.createTempDirectory("stc-state-").toString()))
        .withRetries(2)
        .withTracing(tracing);
    stc = new StcServer(config);
    started.add(() -> stc.close(Duration.ofSeconds(5)));
    int port = stc.start();
    for (int i = 0; i < backendPorts.length; i++) {
      stc.upstream().add("127.0.0.1:" + backendPorts[i], "127.0.0.1", backendPorts[i], 1, BackendState.UP);
    }
    return port;
  }

  private HttpResponse<String> get(int port, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The backend request whose request line ends with this path. */
  private static String received(RecordingBackend backend, String path) {
    return backend.requests.stream().filter(r -> r.startsWith("GET " + path + " ")).findFirst().orElseThrow();
  }

  private static Matcher traceparent(String request) {
    Matcher m = TRACEPARENT.matcher(request);
    assertThat(m.find()).as("a traceparent in %s", request).isTrue();
    return m;
  }

  private static final TextMapGetter<Map<String, String>> FIELDS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key.toLowerCase(java.util.Locale.ROOT));
    }
  };

  /** A recorded request's header fields by lower-case name. */
  private static Map<String, String> fields(String request) {
    Map<String, String> m = new java.util.HashMap<>();
    for (String line : request.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.contains(" HTTP/1.1")) {
        m.put(line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), line.substring(colon + 1).trim());
      }
    }
    return m;
  }

  private static String hex(com.google.protobuf.ByteString b) {
    return OtlpCollector.hex(b.toByteArray());
  }

  private static Map<String, Object> attrs(io.opentelemetry.proto.trace.v1.Span s) {
    return OtlpCollector.attributes(s.getAttributesList());
  }

  @Test
  void aCallersSampledTraceIsJoinedAndEachAttemptIsASpanItsBackendHangsUnder() throws Exception {
    OtlpCollector collector = started(new OtlpCollector());
    RecordingBackend backend = started(new RecordingBackend());
    int port = stc(new StcConfig.Tracing(collector.endpoint(), 0, "shop-edge", Map.of("X-Api-Key", "k1"), StcConfig.RequestId.Incoming.KEEP, java.util.List.of(StcConfig.Tracing.Propagation.TRACECONTEXT)),
        closedPort(), backend.port());
    String[] traces = {"4bf92f3577b34da6a3ce929d0e0e4736", "0af7651916cd43dd8448eb211c80319c"};
    for (int i = 0; i < traces.length; i++) {
      assertThat(get(port, "/orders/" + i + "?token=secret", "traceparent", "00-" + traces[i] + "-00f067aa0ba902b7-01",
          "tracestate", "vendor=abc").statusCode()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> collector.trace(traces[0]).size() >= 2 && collector.trace(traces[1]).size() >= 2);
    assertThat(collector.unreadable).isEmpty();
    // Round robin over a dead backend and a live one: at least one request tried the dead one first.
    int retried = collector.trace(traces[0]).size() == 3 ? 0 : 1;
    List<io.opentelemetry.proto.trace.v1.Span> spans = new ArrayList<>(collector.trace(traces[retried]));
    assertThat(spans).hasSize(3);
    spans.sort(Comparator.comparingInt(io.opentelemetry.proto.trace.v1.Span::getKindValue).thenComparingLong(io.opentelemetry.proto.trace.v1.Span::getStartTimeUnixNano));
    var server = spans.get(0);
    var failed = spans.get(1);
    var served = spans.get(2);

    assertThat(server.getKind()).isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(server.getName()).isEqualTo("GET");
    assertThat(hex(server.getParentSpanId())).isEqualTo("00f067aa0ba902b7");
    assertThat(server.getTraceState()).isEqualTo("vendor=abc");
    assertThat(server.getFlags()).isEqualTo(0x301); // sampled, the parent remote
    assertThat(server.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
    assertThat(attrs(server)).containsEntry("http.request.method", "GET").containsEntry("url.scheme", "http")
        .containsEntry("url.path", "/orders/" + retried).containsEntry("http.response.status_code", 200L)
        .containsEntry("server.address", "127.0.0.1").containsEntry("server.port", (long) port)
        .containsEntry("client.address", "127.0.0.1").containsEntry("network.protocol.version", "1.1")
        .containsEntry("stc.attempts", 2L).containsEntry("stc.backend", "127.0.0.1:" + backend.port())
        .doesNotContainKey("error.type").doesNotContainKey("url.query");
    assertThat(attrs(server).toString()).doesNotContain("secret");

    for (var attempt : List.of(failed, served)) {
      assertThat(attempt.getKind()).isEqualTo(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CLIENT);
      assertThat(attempt.getParentSpanId()).isEqualTo(server.getSpanId());
      assertThat(attempt.getFlags()).isEqualTo(0x101); // sampled, the parent local
      assertThat(attempt.getStartTimeUnixNano()).isBetween(server.getStartTimeUnixNano(), server.getEndTimeUnixNano());
      assertThat(attempt.getEndTimeUnixNano()).isBetween(attempt.getStartTimeUnixNano(), server.getEndTimeUnixNano());
    }
    assertThat(failed.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(attrs(failed)).containsEntry("error.type", "connect_failed").doesNotContainKey("http.response.status_code")
        .doesNotContainKey("http.request.resend_count");
    assertThat(served.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
    assertThat(attrs(served)).containsEntry("http.response.status_code", 200L).containsEntry("http.request.resend_count", 1L)
        .containsEntry("server.address", "127.0.0.1").containsEntry("server.port", (long) backend.port())
        .containsEntry("network.protocol.version", "1.1").containsEntry("stc.backend", "127.0.0.1:" + backend.port());

    // The backend's work hangs under the attempt that reached it; the caller's tracestate goes on.
    String request = received(backend, "/orders/" + retried + "?token=secret");
    Matcher m = traceparent(request);
    assertThat(m.group(1)).isEqualTo("00-" + traces[retried] + "-" + hex(served.getSpanId()) + "-01");
    assertThat(m.find()).as("one traceparent only").isFalse();
    assertThat(request).containsIgnoringCase("tracestate: vendor=abc\r\n");
    // As an OpenTelemetry-instrumented backend reads it, with OpenTelemetry's own propagator.
    SpanContext parent = Span.fromContext(W3CTraceContextPropagator.getInstance().extract(Context.root(), fields(request), FIELDS))
        .getSpanContext();
    assertThat(parent.isValid()).isTrue();
    assertThat(parent.isRemote()).isTrue();
    assertThat(parent.isSampled()).isTrue();
    assertThat(parent.getTraceId()).isEqualTo(traces[retried]);
    assertThat(parent.getSpanId()).isEqualTo(hex(served.getSpanId()));
    assertThat(parent.getTraceState().get("vendor")).isEqualTo("abc");

    assertThat(collector.resources()).allSatisfy(r -> assertThat(r).containsEntry("service.name", "shop-edge")
        .containsEntry("telemetry.sdk.language", "java").containsKey("host.name"));
    assertThat(collector.scopes()).containsOnly("io.stc.proxy");
    assertThat(collector.headers).allSatisfy(h -> assertThat(h).containsEntry("x-api-key", "k1")
        .containsEntry("content-type", "application/x-protobuf"));
    // The admin API's recent requests name the trace, so a slow request can be looked up.
    String recent = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stc.adminPort() + "/api/requests")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(recent).contains("\"trace_id\":\"" + traces[0] + "\"").contains("\"trace_id\":\"" + traces[1] + "\"");
    await().atMost(Duration.ofSeconds(10)).until(() -> stc.proxy().stats().spans(ProxyStats.SPANS_EXPORTED) >= 5);
    assertThat(stc.proxy().stats().spans(ProxyStats.SPANS_FAILED)).isZero();
  }

  @Test
  void aTraceBeginsWhereNoneCameOnlyASampledOneIsRecordedAndAReloadChangesTheShare() throws Exception {
    OtlpCollector collector = started(new OtlpCollector());
    RecordingBackend backend = started(new RecordingBackend());
    StcConfig.Tracing none = new StcConfig.Tracing(collector.endpoint(), 0, "stc", Map.of(), StcConfig.RequestId.Incoming.KEEP, java.util.List.of(StcConfig.Tracing.Propagation.TRACECONTEXT));
    int port = stc(none, backend.port());

    assertThat(get(port, "/fresh").statusCode()).isEqualTo(200);
    Matcher fresh = traceparent(received(backend, "/fresh"));
    assertThat(fresh.group(4)).isEqualTo("00");

    String caller = "5bf92f3577b34da6a3ce929d0e0e4736";
    assertThat(get(port, "/unsampled", "traceparent", "00-" + caller + "-00f067aa0ba902b7-00").statusCode()).isEqualTo(200);
    Matcher unsampled = traceparent(received(backend, "/unsampled"));
    assertThat(unsampled.group(2)).isEqualTo(caller);
    assertThat(unsampled.group(3)).isNotEqualTo("00f067aa0ba902b7");
    assertThat(unsampled.group(4)).isEqualTo("00");

    // Not valid (upper case, version ff, zero IDs, two of them): a trace of its own, the bad one not sent on.
    String[][] invalid = {
      {"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"},
      {"traceparent", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"},
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"},
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "traceparent",
        "00-6bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    };
    for (int i = 0; i < invalid.length; i++) {
      assertThat(get(port, "/invalid" + i, invalid[i]).statusCode()).isEqualTo(200);
      String r = received(backend, "/invalid" + i);
      Matcher m = traceparent(r);
      assertThat(m.group(2)).isNotIn("4bf92f3577b34da6a3ce929d0e0e4736", "6bf92f3577b34da6a3ce929d0e0e4736");
      assertThat(m.group(4)).isEqualTo("00");
      assertThat(m.find()).isFalse();
      assertThat(r).doesNotContainIgnoringCase("0E0E4736").doesNotContain("ff-4bf9");
    }
    // A later version is read by its first four fields.
    assertThat(get(port, "/v01", "traceparent", "01-7bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next").statusCode())
        .isEqualTo(200);
    assertThat(traceparent(received(backend, "/v01")).group(2)).isEqualTo("7bf92f3577b34da6a3ce929d0e0e4736");

    // None of those was recorded: the spans that come are all of the one sampled request below or
    // of /v01 (sampled by its caller), which the exporter's one queue sends in order.
    String sampled = "8bf92f3577b34da6a3ce929d0e0e4736";
    assertThat(get(port, "/sampled", "traceparent", "00-" + sampled + "-00f067aa0ba902b7-01").statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> collector.trace(sampled).size() == 2);
    assertThat(collector.spans()).extracting(s -> hex(s.getTraceId()))
        .containsOnly(sampled, "7bf92f3577b34da6a3ce929d0e0e4736");

    // A caller's trace is joined only as tracing.incoming allows: trusted proxies' only, or nobody's.
    for (StcConfig.RequestId.Incoming incoming : List.of(StcConfig.RequestId.Incoming.TRUSTED, StcConfig.RequestId.Incoming.REPLACE)) {
      stc.proxy().reloadSettings(config.withTracing(new StcConfig.Tracing(collector.endpoint(), 0, "stc", Map.of(), incoming, java.util.List.of(StcConfig.Tracing.Propagation.TRACECONTEXT))));
      String path = "/incoming-" + incoming;
      assertThat(get(port, path, "traceparent", "00-" + caller + "-00f067aa0ba902b7-01").statusCode()).isEqualTo(200);
      Matcher own = traceparent(received(backend, path));
      assertThat(own.group(2)).isNotEqualTo(caller);
      assertThat(own.group(4)).isEqualTo("00");
      assertThat(own.find()).isFalse();
    }

    // Every new trace, after a reload to 100%: a root span, no remote parent.
    stc.proxy().reloadSettings(config.withTracing(new StcConfig.Tracing(collector.endpoint(), 1.0, "stc", Map.of(), StcConfig.RequestId.Incoming.KEEP, java.util.List.of(StcConfig.Tracing.Propagation.TRACECONTEXT))));
    assertThat(get(port, "/all").statusCode()).isEqualTo(200);
    // What a client sends is bounded in a span: a tracestate past W3C's 512 characters is left
    // out, a User-Agent is cut at 1,024 (8,192 queued spans of 32 KiB each would be a lot of memory).
    String swollen = "ebf92f3577b34da6a3ce929d0e0e4736";
    assertThat(get(port, "/swollen", "traceparent", "00-" + swollen + "-00f067aa0ba902b7-01", "tracestate", "v=" + "x".repeat(2000),
        "User-Agent", "u".repeat(5000)).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> collector.trace(swollen).size() == 2);
    var big = collector.trace(swollen).stream().filter(s -> s.getKind() == io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER)
        .findFirst().orElseThrow();
    assertThat(big.getTraceState()).isEmpty();
    assertThat((String) attrs(big).get("user_agent.original")).hasSize(1024);
    assertThat(received(backend, "/swollen")).contains("x".repeat(2000));
    Matcher all = traceparent(received(backend, "/all"));
    assertThat(all.group(4)).isEqualTo("01");
    await().atMost(Duration.ofSeconds(10)).until(() -> collector.trace(all.group(2)).size() == 2);
    var root = collector.trace(all.group(2)).stream().filter(s -> s.getKind() == io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER).findFirst().orElseThrow();
    assertThat(root.getParentSpanId().isEmpty()).isTrue();
    assertThat(root.getFlags()).isEqualTo(0x101);
    assertThat(root.getTraceState()).isEmpty();
  }

  @Test
  void zipkinsB3IsReadAndWrittenBesideW3cWhenConfigured() throws Exception {
    OtlpCollector collector = started(new OtlpCollector());
    RecordingBackend backend = started(new RecordingBackend());
    int port = stc(new StcConfig.Tracing(collector.endpoint(), 0, "stc", Map.of(), StcConfig.RequestId.Incoming.KEEP,
        List.of(StcConfig.Tracing.Propagation.TRACECONTEXT, StcConfig.Tracing.Propagation.B3MULTI)), backend.port());
    // A caller instrumented with Zipkin's B3, several headers, sampled.
    String trace = "fbf92f3577b34da6a3ce929d0e0e4736";
    assertThat(get(port, "/zipkin", "X-B3-TraceId", trace, "X-B3-SpanId", "00f067aa0ba902b7", "X-B3-Sampled", "1").statusCode())
        .isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> collector.trace(trace).size() == 2);
    var attempt = collector.trace(trace).stream().filter(sp -> sp.getKind() == io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CLIENT)
        .findFirst().orElseThrow();
    var server = collector.trace(trace).stream().filter(sp -> sp.getKind() == io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER)
        .findFirst().orElseThrow();
    assertThat(hex(server.getParentSpanId())).isEqualTo("00f067aa0ba902b7");
    String request = received(backend, "/zipkin");
    String span = hex(attempt.getSpanId());
    assertThat(traceparent(request).group(1)).isEqualTo("00-" + trace + "-" + span + "-01");
    assertThat(request).containsIgnoringCase("x-b3-traceid: " + trace + "\r\n").containsIgnoringCase("x-b3-spanid: " + span + "\r\n")
        .containsIgnoringCase("x-b3-parentspanid: " + hex(server.getSpanId()) + "\r\n").containsIgnoringCase("x-b3-sampled: 1\r\n")
        .doesNotContain("00f067aa0ba902b7");
    // A 64-bit B3 trace that leaves the decision to stc (sample 0: not recorded) goes on in 64 bits.
    assertThat(get(port, "/zipkin64", "X-B3-TraceId", "a3ce929d0e0e4736", "X-B3-SpanId", "00f067aa0ba902b7").statusCode()).isEqualTo(200);
    String short64 = received(backend, "/zipkin64");
    assertThat(short64).containsIgnoringCase("x-b3-traceid: a3ce929d0e0e4736\r\n").containsIgnoringCase("x-b3-sampled: 0\r\n")
        .containsIgnoringCase("x-b3-parentspanid: 00f067aa0ba902b7\r\n");
    assertThat(traceparent(short64).group(2)).isEqualTo("0000000000000000a3ce929d0e0e4736");
  }

  @Test
  void stcsOwnAnswersAndHttp2StreamsAreSpansToo() throws Exception {
    OtlpCollector collector = started(new OtlpCollector());
    RecordingBackend backend = started(new RecordingBackend());
    int port = stc(new StcConfig.Tracing(collector.endpoint(), 1.0, "stc", Map.of(), StcConfig.RequestId.Incoming.KEEP, java.util.List.of(StcConfig.Tracing.Propagation.TRACECONTEXT)), backend.port());

    HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    String[] traces = {"9bf92f3577b34da6a3ce929d0e0e4736", "abf92f3577b34da6a3ce929d0e0e4736"};
    List<String> versions = new ArrayList<>();
    for (int i = 0; i < traces.length; i++) {
      HttpResponse<String> r = h2.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/h2/" + i))
          .header("traceparent", "00-" + traces[i] + "-00f067aa0ba902b7-01").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      versions.add(r.version().name());
    }
    assertThat(versions).contains("HTTP_2");
    await().atMost(Duration.ofSeconds(10)).until(() -> collector.trace(traces[0]).size() == 2 && collector.trace(traces[1]).size() == 2);
    assertThat(traceparent(received(backend, "/h2/1")).group(2)).isEqualTo(traces[1]);
    var stream = collector.trace(traces[1]).stream().filter(s -> s.getKind() == io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER).findFirst().orElseThrow();
    assertThat(attrs(stream)).containsEntry("network.protocol.version", "2").containsEntry("url.path", "/h2/1");

    // The client's own fault (413 for a body over limits.body): named, but not the server's failure.
    stc.proxy().reloadSettings(config.withLimits(config.limits().withBody(10)));
    String large = "dbf92f3577b34da6a3ce929d0e0e4736";
    assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/upload"))
        .header("traceparent", "00-" + large + "-00f067aa0ba902b7-01").POST(HttpRequest.BodyPublishers.ofString("x".repeat(100))).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(413);
    await().atMost(Duration.ofSeconds(10)).until(() -> collector.trace(large).size() == 1);
    assertThat(collector.trace(large).get(0).getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
    assertThat(attrs(collector.trace(large).get(0))).containsEntry("error.type", "body_too_large")
        .containsEntry("http.response.status_code", 413L);

    // No backend: stc answers itself, and the span says why.
    stc.upstream().remove("127.0.0.1:" + backend.port());
    String down = "bbf92f3577b34da6a3ce929d0e0e4736";
    assertThat(get(port, "/down", "traceparent", "00-" + down + "-00f067aa0ba902b7-01").statusCode()).isEqualTo(503);
    await().atMost(Duration.ofSeconds(10)).until(() -> collector.trace(down).size() == 1);
    var answered = collector.trace(down).get(0);
    assertThat(answered.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(answered.getStatus().getMessage()).isNotEmpty();
    assertThat(attrs(answered)).containsEntry("error.type", "no_backend").containsEntry("http.response.status_code", 503L)
        .doesNotContainKey("stc.attempts").doesNotContainKey("stc.backend");
  }

  @Test
  void aClientThatLeavesMidRequestEndsBothSpansAsGivenUp() throws Exception {
    OtlpCollector collector = started(new OtlpCollector());
    java.util.concurrent.CompletableFuture<Void> hold = new java.util.concurrent.CompletableFuture<>();
    RawBackend silent = started(new RawBackend(r -> {
      hold.join();
      return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    }));
    // Let go before the backend is closed (stopping waits for its answer).
    started(() -> hold.complete(null));
    int port = stc(StcConfig.Tracing.to(collector.endpoint(), 0), silent.port());
    String trace = "1cf92f3577b34da6a3ce929d0e0e4736";
    try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
      s.getOutputStream().write(("GET /slow HTTP/1.1\r\nHost: a\r\ntraceparent: 00-" + trace + "-00f067aa0ba902b7-01\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      await().atMost(Duration.ofSeconds(10)).until(() -> silent.received.size() == 1);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> collector.trace(trace).size() == 2);
    var server = collector.trace(trace).stream().filter(sp -> sp.getKind() == io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER)
        .findFirst().orElseThrow();
    var attempt = collector.trace(trace).stream().filter(sp -> sp.getKind() == io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CLIENT)
        .findFirst().orElseThrow();
    assertThat(attrs(server)).containsEntry("error.type", "client_closed").doesNotContainKey("http.response.status_code");
    assertThat(server.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(attrs(attempt)).containsEntry("error.type", "abandoned").doesNotContainKey("http.response.status_code");
    assertThat(silent.received.get(0)).contains("traceparent: 00-" + trace + "-" + hex(attempt.getSpanId()) + "-01");
  }

  @Test
  void grpcCallsAreNamedByServiceAndMethodWithTheirStatus() throws Exception {
    OtlpCollector collector = started(new OtlpCollector());
    io.stc.testing.GrpcTestServer grpc = started(new io.stc.testing.GrpcTestServer("a"));
    int port = stc(StcConfig.Tracing.to(collector.endpoint(), 1.0));
    stc.upstream().add("a", "127.0.0.1", grpc.port(), 1, BackendState.UP, io.stc.pool.BackendProtocol.H2C);
    io.grpc.ManagedChannel channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", port)
        .usePlaintext().build();
    started(() -> channel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS));
    io.grpc.CallOptions options = io.grpc.CallOptions.DEFAULT.withDeadlineAfter(20, java.util.concurrent.TimeUnit.SECONDS);
    io.grpc.stub.ClientCalls.blockingUnaryCall(channel, io.stc.testing.GrpcTestServer.UNARY, options, new byte[] {1});
    for (String code : List.of("UNAVAILABLE", "INVALID_ARGUMENT")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.grpc.stub.ClientCalls.blockingUnaryCall(channel,
          io.stc.testing.GrpcTestServer.FAIL, options, code.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
          .hasMessageContaining(code);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> collector.spans().stream()
        .filter(sp -> sp.getKind() == io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER).count() >= 3);
    List<io.opentelemetry.proto.trace.v1.Span> calls = collector.spans().stream()
        .filter(sp -> sp.getKind() == io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER).toList();
    assertThat(calls).extracting(io.opentelemetry.proto.trace.v1.Span::getName).contains("test.Echo/Unary", "test.Echo/Fail");
    var ok = calls.stream().filter(c -> c.getName().equals("test.Echo/Unary")).findFirst().orElseThrow();
    assertThat(attrs(ok)).containsEntry("rpc.system", "grpc").containsEntry("rpc.service", "test.Echo")
        .containsEntry("rpc.method", "Unary").containsEntry("rpc.grpc.status_code", 0L).doesNotContainKey("error.type");
    assertThat(ok.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
    // UNAVAILABLE is the server's failure; INVALID_ARGUMENT the caller's, named but not failing the span.
    var unavailable = calls.stream().filter(c -> Long.valueOf(14).equals(attrs(c).get("rpc.grpc.status_code"))).findFirst().orElseThrow();
    assertThat(unavailable.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(attrs(unavailable)).containsEntry("error.type", "14").containsEntry("http.response.status_code", 200L);
    var invalid = calls.stream().filter(c -> Long.valueOf(3).equals(attrs(c).get("rpc.grpc.status_code"))).findFirst().orElseThrow();
    assertThat(invalid.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_UNSET);
    assertThat(attrs(invalid)).containsEntry("error.type", "3");
  }

  @Test
  void aCollectorThatIsDownOrBusyCostsTheRequestsNothing() throws Exception {
    RecordingBackend backend = started(new RecordingBackend());
    int port = stc(new StcConfig.Tracing("http://127.0.0.1:" + closedPort() + "/v1/traces", 1.0, "stc", Map.of(), StcConfig.RequestId.Incoming.KEEP, java.util.List.of(StcConfig.Tracing.Propagation.TRACECONTEXT)), backend.port());
    for (int i = 0; i < 20; i++) {
      assertThat(get(port, "/nobody-listens/" + i).statusCode()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> stc.proxy().stats().spans(ProxyStats.SPANS_FAILED) == 40);
    assertThat(stc.proxy().stats().spans(ProxyStats.SPANS_EXPORTED)).isZero();
    String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stc.adminPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("stc_trace_spans_total{outcome=\"failed\"} 40.0");

    // A collector that is busy (503, 429) gets the same batch again a moment later.
    OtlpCollector collector = started(new OtlpCollector());
    collector.answers.add(503);
    collector.answers.add(429);
    stc.proxy().reloadSettings(config.withTracing(new StcConfig.Tracing(collector.endpoint(), 1.0, "stc", Map.of(), StcConfig.RequestId.Incoming.KEEP, java.util.List.of(StcConfig.Tracing.Propagation.TRACECONTEXT))));
    String busy = "cbf92f3577b34da6a3ce929d0e0e4736";
    assertThat(get(port, "/busy", "traceparent", "00-" + busy + "-00f067aa0ba902b7-01").statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(20)).until(() -> collector.trace(busy).size() == 2);
    assertThat(collector.answers).isEmpty();
    assertThat(stc.proxy().stats().spans(ProxyStats.SPANS_EXPORTED)).isEqualTo(2);
  }
}
