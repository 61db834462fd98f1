package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TracingSectionTest {
  @TempDir Path dir;

  private StcConfig.Tracing read(String yaml, Map<String, String> env) throws IOException {
    Path f = dir.resolve("stc.yaml");
    Files.writeString(f, yaml);
    ConfigMap root = ConfigParser.parse(f).asMap("port", "tracing");
    return TracingSection.read(root.get("tracing"), env);
  }

  private String error(String yaml, Map<String, String> env) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> read(yaml, env));
    assertThat(t).isInstanceOf(ConfigException.class);
    return t.getMessage().substring(t.getMessage().indexOf(':') + 1);
  }

  @Test
  void absentOrOffIsOffAndPresentSendsToALocalCollectorAtOnePercent() throws IOException {
    assertThat(read("port: 1\n", Map.of()).enabled()).isFalse();
    assertThat(read("tracing: off\n", Map.of()).enabled()).isFalse();
    assertThat(read("tracing: false\n", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")).enabled()).isFalse();
    StcConfig.Tracing on = read("tracing: {}\n", Map.of());
    assertThat(on).isEqualTo(new StcConfig.Tracing("http://127.0.0.1:4318/v1/traces", 0.01, "stc", Map.of(), StcConfig.RequestId.Incoming.KEEP, java.util.List.of(StcConfig.Tracing.Propagation.TRACECONTEXT)));
    assertThat(read("tracing: on\n", Map.of()).enabled()).isTrue();
    assertThat(read("tracing:\n", Map.of()).enabled()).isTrue();
  }

  @Test
  void theEnvironmentNamesTheCollectorAndServiceAsOpenTelemetrySdksReadIt() throws IOException {
    assertThat(read("tracing: {}\n", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")).endpoint())
        .isEqualTo("http://collector:4318/v1/traces");
    assertThat(read("tracing: {}\n", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "https://api.vendor.io/otlp")).endpoint())
        .isEqualTo("https://api.vendor.io/otlp/v1/traces");
    // The per-signal variable is taken as it is, and wins.
    assertThat(read("tracing: {}\n", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:4318/custom")).endpoint()).isEqualTo("http://b:4318/custom");
    // The file wins over both.
    assertThat(read("tracing: {endpoint: 'http://file:4318/v1/traces'}\n",
        Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:4318/custom")).endpoint()).isEqualTo("http://file:4318/v1/traces");
    assertThat(read("tracing: {}\n", Map.of("OTEL_SERVICE_NAME", "checkout-lb")).serviceName()).isEqualTo("checkout-lb");
    assertThat(read("tracing: {service_name: edge}\n", Map.of("OTEL_SERVICE_NAME", "checkout-lb")).serviceName()).isEqualTo("edge");
    assertThat(error("tracing: {}\n", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")))
        .startsWith("1: tracing: the environment's OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL");
  }

  @Test
  void propagationIsListedOrTakenFromOtelPropagatorsElseW3cAlone() throws IOException {
    List<StcConfig.Tracing.Propagation> w3c = List.of(StcConfig.Tracing.Propagation.TRACECONTEXT);
    assertThat(read("tracing: {}\n", Map.of()).propagation()).isEqualTo(w3c);
    assertThat(read("tracing: {propagation: [b3multi, tracecontext]}\n", Map.of()).propagation())
        .containsExactly(StcConfig.Tracing.Propagation.B3MULTI, StcConfig.Tracing.Propagation.TRACECONTEXT);
    assertThat(read("tracing: {}\n", Map.of("OTEL_PROPAGATORS", "tracecontext, baggage, b3")).propagation())
        .containsExactly(StcConfig.Tracing.Propagation.TRACECONTEXT, StcConfig.Tracing.Propagation.B3);
    assertThat(read("tracing: {}\n", Map.of("OTEL_PROPAGATORS", "baggage")).propagation()).isEqualTo(w3c);
    assertThat(read("tracing: {propagation: [b3]}\n", Map.of("OTEL_PROPAGATORS", "b3multi")).propagation())
        .containsExactly(StcConfig.Tracing.Propagation.B3);
  }

  @Test
  void badValuesAreNamedByLineAndKey() {
    assertThat(error("port: 1\ntracing:\n  endpoint: grpc://c:4317\n", Map.of()))
        .startsWith("3: tracing.endpoint: expected an http:// or https:// URL, got 'grpc://c:4317'");
    assertThat(error("port: 1\ntracing:\n  endpoint: 'http://user:pw@c:4318'\n", Map.of()))
        .startsWith("3: tracing.endpoint: 'http://user:pw@c:4318' has a query, a fragment or a user");
    assertThat(error("port: 1\ntracing:\n  sample: 150%\n", Map.of())).startsWith("3: tracing.sample: must be from 0% to 100%");
    assertThat(error("port: 1\ntracing:\n  sample: lots\n", Map.of())).startsWith("3: tracing.sample: expected a percentage");
    assertThat(error("port: 1\ntracing:\n  headers: {Content-Type: text/plain}\n", Map.of()))
        .contains("tracing.headers.Content-Type").contains("framed by the exporter");
    assertThat(error("port: 1\ntracing:\n  exporter: jaeger\n", Map.of())).contains("tracing").contains("exporter");
    assertThat(error("port: 1\ntracing:\n  incoming: never\n", Map.of())).startsWith("3: tracing.incoming: expected keep, trusted or replace");
    assertThat(error("port: 1\ntracing:\n  propagation: [jaeger]\n", Map.of())).startsWith("3: tracing.propagation[0]: expected tracecontext, b3 or b3multi, got 'jaeger'");
    assertThat(error("port: 1\ntracing:\n  propagation: [b3, b3]\n", Map.of())).contains("'b3' is listed twice");
    assertThat(error("port: 1\ntracing:\n  propagation: []\n", Map.of())).contains("tracing.propagation: lists no format");
    assertThat(error("tracing: {}\n", Map.of("OTEL_PROPAGATORS", "tracecontext,xray"))).startsWith("1: tracing: the environment's OTEL_PROPAGATORS: expected");
  }
}
