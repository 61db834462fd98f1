package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stc.backend.BackendOptions;
import io.stc.testing.TestCluster;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The first health checks run before the admin listener opens; their outcome still reaches the event log. */
class StartEventsTest {
  @Test
  void eachBackendsStateAtStartIsInTheEventLog() throws Exception {
    List<BackendOptions> options = List.of(BackendOptions.defaults().withName("a"), BackendOptions.defaults().withName("b"));
    try (TestCluster cluster = TestCluster.of(options, UnaryOperator.identity())) {
      JsonNode events = new AdminCalls(cluster.stc.adminPort()).get("/api/stats").json().path("events");
      assertThat(events.findValuesAsText("type")).contains("backend_up");
      boolean found = false;
      for (JsonNode e : events) {
        if (e.path("data").path("backend").asText().equals(cluster.id(0))) {
          assertThat(e.path("type").asText()).isEqualTo("backend_up");
          assertThat(e.path("message").asText()).isEqualTo(cluster.id(0) + ": up at start (first health check passed)");
          found = true;
        }
      }
      assertThat(found).as(events.toString()).isTrue();
      assertThat(events.findValuesAsText("backend")).contains(cluster.id(1));
    }
  }
}
