package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.testing.TestCluster;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EventStreamTest {
  @Test
  void deliversStatsSnapshotsAndEventsAsTheyHappen() throws Exception {
    try (TestCluster cluster = TestCluster.of(2)) {
      AdminCalls api = new AdminCalls(cluster.stc.adminPort());
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<InputStream> r = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.stc.adminPort() + "/api/events")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).contains("text/event-stream");
      BlockingQueue<String> events = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = in.readLine()) != null) {
            if (line.startsWith("event: ")) {
              events.add(line.substring(7));
            }
          }
        } catch (Exception e) {
          // The stream closed with the server.
        }
      });
      reader.setDaemon(true);
      reader.start();

      // One snapshot at once and then one a second: two within a few seconds.
      assertThat(next(events, "stats")).isTrue();
      assertThat(next(events, "stats")).isTrue();

      api.patch("/api/backends/" + cluster.id(0), "{\"state\":\"drain\"}");
      assertThat(next(events, "backend_draining")).isTrue();
      api.put("/api/algorithm", "{\"algorithm\":\"least_connections\"}");
      assertThat(next(events, "algorithm_changed")).isTrue();
      cluster.stc.control().events().publish("breaker_opened", "test", java.util.Map.of("backend", cluster.id(1)));
      assertThat(next(events, "breaker_opened")).isTrue();
      r.body().close();
    }
  }

  private static boolean next(BlockingQueue<String> events, String type) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (System.nanoTime() < deadline) {
      String e = events.poll(100, TimeUnit.MILLISECONDS);
      if (type.equals(e)) {
        return true;
      }
    }
    return false;
  }
}
