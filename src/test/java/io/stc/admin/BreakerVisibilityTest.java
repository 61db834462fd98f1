package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.config.StcConfig;
import io.stc.testing.TestCluster;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BreakerVisibilityTest {
  @Test
  void anOpenBreakerShowsInStatsEventsAndMetrics() throws Exception {
    // Health checks off so only the breaker reacts to the failing backend.
    try (TestCluster cluster = TestCluster.of(2, c -> c.withHealth(
        new StcConfig.Health(false, "/health", Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 3)))) {
      AdminCalls api = new AdminCalls(cluster.stc.adminPort());
      String id = cluster.id(0);
      assertThat(api.get("/api/backends/" + id).json().path("circuit").asText()).isEqualTo("closed");
      cluster.backends.get(0).fail();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        cluster.get("/x");
        return "open".equals(api.get("/api/backends/" + id).json().path("circuit").asText());
      });
      // Events are published off the event loop: wait for it rather than race it.
      await().atMost(Duration.ofSeconds(10)).until(() ->
          api.get("/api/stats").json().path("events").findValuesAsText("type").contains("breaker_opened"));
      assertThat(api.get("/metrics").body()).contains("stc_backend_circuit_open{backend=\"" + id + "\"} 1.0");
    }
  }
}
