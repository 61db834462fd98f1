package io.stc.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.config.StatusRanges;
import io.stc.config.StcConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendProtocol;
import io.stc.pool.BackendState;
import io.stc.pool.Upstream;
import io.stc.testing.Http2TestServer;
import io.stc.testing.RawBackend;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a health probe sends and which answers pass: statuses, the Host it names, extra fields, bodies that do not end. */
class HealthProbeTest {
  private final Vertx vertx = Vertx.vertx();
  private HealthChecker checker;

  @AfterEach
  void close() {
    if (checker != null) {
      checker.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private static StcConfig.Health health(String expect, String host, Map<String, String> headers) {
    return new StcConfig.Health(true, "/health", Duration.ofMillis(100), Duration.ofMillis(1000), 1, 1, false, "",
        expect == null ? StatusRanges.DEFAULT : StatusRanges.parse(expect), host, headers, false, 0);
  }

  private Backend probed(StcConfig.Health config, int port, BackendProtocol protocol) {
    Upstream upstream = new Upstream(io.stc.Clock.SYSTEM);
    Backend b = upstream.add("b", "127.0.0.1", port, 1, BackendState.DOWN, protocol);
    checker = new HealthChecker(vertx, upstream, config);
    checker.start();
    return b;
  }

  private static Function<String, String> answering(AtomicReference<String> status) {
    return request -> "HTTP/1.1 " + status.get() + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  }

  @Test
  void redirectsPassByDefaultAndOtherStatusesFailNamingWhatWasExpected() throws Exception {
    AtomicReference<String> status = new AtomicReference<>("302 Found");
    try (RawBackend raw = new RawBackend(answering(status), r -> r.contains("\r\n\r\n"), true)) {
      Backend b = probed(health(null, "", Map.of()), raw.port(), BackendProtocol.HTTP1);
      await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.UP);
      status.set("404 Not Found");
      await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.DOWN);
      assertThat(checker.lastResult(b).detail()).isEqualTo("HTTP 404, expected 200-399");
    }
  }

  @Test
  void onlyTheExpectedStatusesPass() throws Exception {
    AtomicReference<String> status = new AtomicReference<>("302 Found");
    try (RawBackend raw = new RawBackend(answering(status), r -> r.contains("\r\n\r\n"), true)) {
      Backend b = probed(health("200,204", "", Map.of()), raw.port(), BackendProtocol.HTTP1);
      await().atMost(Duration.ofSeconds(10)).until(() -> checker.lastResult(b) != null);
      assertThat(checker.lastResult(b).detail()).isEqualTo("HTTP 302, expected 200,204");
      status.set("204 No Content");
      await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.UP);
    }
  }

  @Test
  void aProbeNamesTheConfiguredHostAndCarriesTheConfiguredFields() throws Exception {
    AtomicReference<String> status = new AtomicReference<>("200 OK");
    try (RawBackend raw = new RawBackend(answering(status), r -> r.contains("\r\n\r\n"), true)) {
      Backend b = probed(health(null, "api.example.com", Map.of("X-Health-Token", "s3cret")), raw.port(), BackendProtocol.HTTP1);
      await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.UP);
      String head = raw.received.get(0).toLowerCase();
      assertThat(head).startsWith("get /health http/1.1\r\n").contains("\r\nhost: api.example.com\r\n", "\r\nx-health-token: s3cret\r\n");
      assertThat(head.split("\r\nhost: ", -1)).hasSize(2);
    }
  }

  @Test
  void anHttp2ProbeNamesTheConfiguredHostAsItsAuthority() throws Exception {
    try (Http2TestServer h2c = new Http2TestServer(100)) {
      Backend b = probed(health(null, "api.example.com:8443", Map.of("X-Health-Token", "s3cret")), h2c.port(), BackendProtocol.H2C);
      await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.UP);
      assertThat(h2c.requests).anySatisfy(r -> {
        assertThat(r.authority().toString()).isEqualTo("api.example.com:8443");
        assertThat(r.get("x-health-token").toString()).isEqualTo("s3cret");
      });
    }
  }

  @Test
  void aTcpCheckPassesOnAConnectionAloneAndFailsWhenNoneIsTaken() throws Exception {
    // A 404 for every path: an HTTP check would fail it, a TCP one does not look.
    AtomicReference<String> status = new AtomicReference<>("404 Not Found");
    Backend b;
    try (RawBackend raw = new RawBackend(answering(status), r -> r.contains("\r\n\r\n"), true)) {
      b = probed(health(null, "", Map.of()).withTcp(true), raw.port(), BackendProtocol.HTTP1);
      await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.UP);
      assertThat(checker.lastResult(b).detail()).isEqualTo("TCP connect");
    }
    // Its listener is gone: connections are refused, and it goes down.
    await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.DOWN);
    assertThat(checker.lastResult(b).ok()).isFalse();
  }

  @Test
  void probesGoToTheHealthPortWhenOneIsSetAndTheTrafficPortIsNotAsked() throws Exception {
    // The service's own port answers 404 to /health; its management port answers 200.
    AtomicReference<String> traffic = new AtomicReference<>("404 Not Found");
    AtomicReference<String> management = new AtomicReference<>("200 OK");
    try (RawBackend service = new RawBackend(answering(traffic), r -> r.contains("\r\n\r\n"), true);
        RawBackend actuator = new RawBackend(answering(management), r -> r.contains("\r\n\r\n"), true)) {
      Backend b = probed(health(null, "", Map.of()).withPort(actuator.port()), service.port(), BackendProtocol.HTTP1);
      await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.UP);
      management.set("503 Service Unavailable");
      await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.DOWN);
      assertThat(checker.lastResult(b).detail()).isEqualTo("HTTP 503, expected 200-399");
      assertThat(service.received).isEmpty();
      assertThat(actuator.received.get(0).toLowerCase()).contains("\r\nhost: 127.0.0.1:" + actuator.port() + "\r\n");
    }
  }

  @Test
  void aTcpCheckConnectsToTheHealthPort() throws Exception {
    AtomicReference<String> status = new AtomicReference<>("200 OK");
    try (RawBackend other = new RawBackend(answering(status), r -> r.contains("\r\n\r\n"), true)) {
      // Nothing listens on the backend's own port (a closed server socket's): only the health port passes.
      int closed;
      try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        closed = s.getLocalPort();
      }
      Backend b = probed(health(null, "", Map.of()).withTcp(true).withPort(other.port()), closed, BackendProtocol.HTTP1);
      await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.UP);
      assertThat(checker.lastResult(b).detail()).isEqualTo("TCP connect");
    }
  }

  @Test
  void aBodyThatDoesNotEndDoesNotHoldTheProbe() throws Exception {
    // 200 with ten megabytes promised, 128 KiB sent, and the connection held open: the status stands.
    String body = "x".repeat(128 * 1024);
    try (RawBackend raw = new RawBackend(r -> "HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n" + body,
        r -> r.contains("\r\n\r\n"), false)) {
      Backend b = probed(health(null, "", Map.of()), raw.port(), BackendProtocol.HTTP1);
      await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.UP);
      await().atMost(Duration.ofSeconds(10)).until(() -> raw.received.size() >= 3);
      assertThat(checker.lastResult(b).detail()).isEqualTo("HTTP 200");
    }
  }
}
