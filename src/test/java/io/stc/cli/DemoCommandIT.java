package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stc.testing.StcProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandIT {

  @Test
  void demoRunsAutoscaledInstancesWithTrafficAndLeavesNoProcessBehind(@TempDir Path dir) throws Exception {
    try (StcProcess demo =
        StcProcess.startIn(dir, "demo", "--port", "0", "--admin-port", "0", "--no-top", "--rate", "20", "--min", "2", "--max", "3")) {
      // The dashboard's address comes first, and the dashboard answers at once, while the instances start.
      String first = demo.awaitLine(Pattern.compile(".+")).group();
      assertThat(first).matches("dashboard:\\s+http://\\S+/");
      String dashboard = first.replaceAll("dashboard:\\s+(http://\\S+)/", "$1");
      HttpClient http = HttpClient.newHttpClient();
      ObjectMapper json = new ObjectMapper();
      assertThat(http.send(HttpRequest.newBuilder(URI.create(dashboard + "/")).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode()).isEqualTo(200);
      String balancer = demo.awaitLine(Pattern.compile("balancer:\\s+(http://\\S+)/")).group(1);

      HttpResponse<String> served = http.send(HttpRequest.newBuilder(URI.create(balancer + "/demo")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(served.statusCode()).isEqualTo(200);
      assertThat(served.body()).contains("\"server\":\"auto-");

      // The generated traffic reaches the balancer and is answered.
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        JsonNode stats = json.readTree(http.send(HttpRequest.newBuilder(URI.create(dashboard + "/api/stats")).build(),
            HttpResponse.BodyHandlers.ofString()).body());
        return stats.path("totals").path("requests").asLong() > 50;
      });
      JsonNode stats = json.readTree(http.send(HttpRequest.newBuilder(URI.create(dashboard + "/api/stats")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      assertThat(stats.path("backends").size()).isBetween(2, 3);
      assertThat(stats.path("totals").path("failures").asLong()).isZero();

      List<ProcessHandle> tree = demo.tree();
      assertThat(tree.size()).isGreaterThanOrEqualTo(3);
      assertThat(demo.terminate()).isEqualTo(0);
      await().atMost(Duration.ofSeconds(30)).until(() -> tree.stream().noneMatch(ProcessHandle::isAlive));
    }
  }
}
