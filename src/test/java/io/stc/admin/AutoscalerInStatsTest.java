package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.config.AutoscaleConfig;
import io.stc.config.ConfigLoader;
import io.stc.testing.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The autoscaler as the admin side shows it: its status in /api/stats, its events in the event log. */
class AutoscalerInStatsTest {
  @TempDir Path dir;

  @Test
  void statusAndScaleEventsAppearInStats() throws Exception {
    List<DemoBackend> instances = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        instances.add(DemoBackend.started(BackendOptions.defaults().withName("s" + i)));
      }
      String yaml = """
          autoscale:
            enabled: true
            provider: {kind: static, backends: ["127.0.0.1:%d", "127.0.0.1:%d"]}
            policy: concurrency
            min: 1
            max: 2
            interval: 200ms
          """.formatted(instances.get(0).port(), instances.get(1).port());
      AutoscaleConfig autoscale = ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)).autoscale();
      try (TestCluster cluster = TestCluster.of(List.of(), c -> c.withAutoscale(autoscale))) {
        AdminCalls api = new AdminCalls(cluster.stc.adminPort());
        JsonNode stats = api.get("/api/stats").json();
        JsonNode a = stats.path("autoscaler");
        assertThat(a.path("policy").asText()).isEqualTo("concurrency");
        assertThat(a.path("min").asInt()).isEqualTo(1);
        assertThat(a.path("max").asInt()).isEqualTo(2);
        assertThat(a.path("current").asInt()).isEqualTo(1);
        assertThat(a.path("desired").asInt()).isEqualTo(1);
        assertThat(a.path("pending").asInt()).isZero();
        assertThat(a.path("last_event").path("type").asText()).isEqualTo("scale_ready");
        assertThat(a.path("last_event").path("message").asText()).contains("ready");

        // The first instance was started after the control plane subscribed, so its events are in the log.
        List<String> types = new ArrayList<>();
        stats.path("events").forEach(e -> types.add(e.path("type").asText()));
        assertThat(types).containsSubsequence("scale_up", "scale_ready");
        JsonNode up = null;
        for (JsonNode e : stats.path("events")) {
          if (e.path("type").asText().equals("scale_up")) {
            up = e;
          }
        }
        assertThat(up.path("message").asText()).startsWith("Scaled UP: added ");
        assertThat(up.path("data").path("total").asInt()).isEqualTo(1);
        assertThat(up.path("data").path("instance").asText()).isNotBlank();
      }
    } finally {
      instances.forEach(DemoBackend::close);
    }
  }

  @Test
  void withoutAutoscalingTheFieldIsNullAndRecentLatencyFollowsTraffic() throws Exception {
    try (TestCluster cluster = TestCluster.of(1)) {
      AdminCalls api = new AdminCalls(cluster.stc.adminPort());
      JsonNode stats = api.get("/api/stats").json();
      assertThat(stats.has("autoscaler")).isTrue();
      assertThat(stats.path("autoscaler").isNull()).isTrue();
      assertThat(stats.path("totals").path("recent_latency_ms").path("p99").asDouble()).isZero();
      // Requests keep coming while we look, so some land in the last completed second.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(cluster.get("/recent").statusCode()).isEqualTo(200);
        JsonNode recent = api.get("/api/stats").json().path("totals").path("recent_latency_ms");
        assertThat(recent.path("p99").asDouble()).isPositive();
        assertThat(recent.path("p50").asDouble()).isPositive().isLessThanOrEqualTo(recent.path("p99").asDouble());
      });
    }
  }
}
