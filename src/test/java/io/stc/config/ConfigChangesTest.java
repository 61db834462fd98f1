package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigChangesTest {
  final StcConfig d = StcConfig.defaults();

  @Test
  void namesTheChangedKeysAsTheFileSpellsThem() {
    StcConfig next = d.withPort(9999).withIoThreads(3)
        .withTimeouts(d.timeouts().withConnect(Duration.ofSeconds(9)).withPerTry(StcConfig.PerTry.OFF))
        .withCapacity(new StcConfig.Capacity(5, 7, Duration.ofSeconds(1)))
        .withCircuitBreaker(new StcConfig.CircuitBreakerConfig(true, 5, Duration.ofSeconds(5), 1, Duration.ofSeconds(60), false, 50))
        .withRequestId(new StcConfig.RequestId("X-Trace", StcConfig.RequestId.Incoming.KEEP, true))
        .withAutoscale(d.autoscale().withEnabled(true))
        .withBackends(List.of(new StcConfig.BackendConfig("127.0.0.1", 3001, 1)))
        .withServedByHeader("");
    assertThat(ConfigChanges.between(d, next)).containsExactly(
        "port", "io_threads", "backends", "timeouts.connect", "timeouts.per_try", "served_by_header",
        "circuit_breaker.count_5xx", "max_inflight", "queue.max", "queue.timeout", "autoscale", "request_id.header");
    assertThat(ConfigChanges.between(next, next)).isEmpty();
  }

  @Test
  void aReloadTakesTheDataPlanesPerRequestSettingsAndLeavesTheRest() {
    StcConfig next = d.withPort(9999).withRetries(0)
        .withTimeouts(d.timeouts().withConnect(Duration.ofSeconds(9)).withResponse(Duration.ofSeconds(3)))
        .withLimits(d.limits().withBody(1024).withConnections(5))
        .withRequestId(new StcConfig.RequestId("X-Request-Id", StcConfig.RequestId.Incoming.REPLACE, true))
        .withH2c(false)
        .withTls(d.tls().withBackends(true))
        .withErrorPages(new ErrorPages(java.util.Map.of(503, new ErrorPages.Page("503.html", "text/html", new byte[] {1}))));
    StcConfig inForce = ConfigChanges.reloadable(d, next);
    assertThat(ConfigChanges.between(d, inForce))
        .containsExactly("timeouts.response", "retries", "limits.body", "h2c", "request_id.incoming", "error_pages");
    // A page whose file changed is a change; the same bytes read again are not.
    assertThat(ConfigChanges.between(next, next.withErrorPages(
        new ErrorPages(java.util.Map.of(503, new ErrorPages.Page("503.html", "text/html", new byte[] {2}))))))
        .containsExactly("error_pages");
    assertThat(ConfigChanges.between(next, next.withErrorPages(
        new ErrorPages(java.util.Map.of(503, new ErrorPages.Page("503.html", "text/html", new byte[] {1})))))).isEmpty();
    assertThat(ConfigChanges.between(inForce, next)).containsExactly("port", "timeouts.connect", "limits.connections", "tls.backends");
  }

  @Test
  void aListenerThatStaysOnTlsTakesItsNewSettingsButNotTheBackendSide() {
    TlsConfig on = TlsConfig.defaults().withCertificates(List.of(new TlsConfig.Certificate("a.pem", "a.key", List.of())));
    StcConfig running = d.withTls(on);
    StcConfig next = d.withTls(on.withHsts("max-age=60").withBackendVerify(!on.backendVerify())
        .withCertificates(List.of(new TlsConfig.Certificate("b.pem", "b.key", List.of()))));
    StcConfig inForce = ConfigChanges.reloadable(running, next);
    assertThat(ConfigChanges.between(running, inForce)).containsExactly("tls.certificates", "tls.hsts");
    assertThat(ConfigChanges.between(inForce, next)).containsExactly("tls.backend_verify");
    // Off to on, or on to off, waits for a restart.
    assertThat(ConfigChanges.between(ConfigChanges.reloadable(d, running), running)).containsExactly("tls.certificates");
  }
}
