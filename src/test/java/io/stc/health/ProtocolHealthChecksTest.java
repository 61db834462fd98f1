package io.stc.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.config.StcConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendProtocol;
import io.stc.pool.BackendState;
import io.stc.testing.GrpcTestServer;
import io.stc.testing.Http2TestServer;
import io.stc.testing.TestCluster;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Health probes speak each backend's protocol: HTTP/2 to h2c backends, gRPC's health service when asked. */
class ProtocolHealthChecksTest {
  private static StcConfig.Health every100ms(boolean grpc, String service) {
    return new StcConfig.Health(true, "/health", Duration.ofMillis(100), Duration.ofMillis(1000), 1, 1, grpc, service);
  }

  @Test
  void anH2cBackendIsProbedOverHttp2AndStaysUp() throws Exception {
    try (Http2TestServer h2c = new Http2TestServer(100);
        TestCluster c = TestCluster.of(0, cfg -> cfg.withHealth(every100ms(false, "")))) {
      Backend b = c.stc.upstream().add("h2c", "127.0.0.1", h2c.port(), 1, BackendState.DOWN, BackendProtocol.H2C);
      await().atMost(Duration.ofSeconds(20)).until(() -> b.state() == BackendState.UP);
      assertThat(h2c.requests).anySatisfy(r -> assertThat(r.path().toString()).isEqualTo("/health"));
    }
  }

  @Test
  void grpcHealthChecksTakeANotServingBackendOutAndBringItBack() throws Exception {
    try (GrpcTestServer a = new GrpcTestServer("a");
        TestCluster c = TestCluster.of(0, cfg -> cfg.withHealth(every100ms(true, GrpcTestServer.SERVICE)))) {
      Backend b = c.stc.upstream().add("a", "127.0.0.1", a.port(), 1, BackendState.DOWN, BackendProtocol.H2C);
      await().atMost(Duration.ofSeconds(20)).until(() -> b.state() == BackendState.UP);
      a.serving(false);
      await().atMost(Duration.ofSeconds(20)).until(() -> b.state() == BackendState.DOWN);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(
          () -> assertThat(c.stc.health().lastResult(b).detail()).isEqualTo("gRPC NOT_SERVING"));
      a.serving(true);
      await().atMost(Duration.ofSeconds(20)).until(() -> b.state() == BackendState.UP);
    }
  }

  @Test
  void anUnknownServiceIsNotHealthy() throws Exception {
    try (GrpcTestServer a = new GrpcTestServer("a");
        TestCluster c = TestCluster.of(0, cfg -> cfg.withHealth(every100ms(true, "no.Such")))) {
      Backend b = c.stc.upstream().add("a", "127.0.0.1", a.port(), 1, BackendState.UP, BackendProtocol.H2C);
      await().atMost(Duration.ofSeconds(20)).until(() -> b.state() == BackendState.DOWN);
      // grpc-java answers NOT_FOUND for a service it does not know. On a loaded machine a probe may
      // time out first; the probes go on, and the next answers say why.
      await().atMost(Duration.ofSeconds(20)).untilAsserted(
          () -> assertThat(c.stc.health().lastResult(b).detail()).startsWith("gRPC status 5"));
    }
  }
}
