package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.config.AutoscaleConfig;
import io.stc.config.ConfigLoader;
import io.stc.config.StcConfig;
import io.stc.testing.TestCluster;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With {@code min: 0}, a request that finds no instance waits in the queue while the autoscaler starts one. */
class ScaleFromZeroTest {
  @TempDir Path dir;

  @Test
  void theFirstRequestWaitsForTheFirstInstanceAndIsServed() throws Exception {
    try (DemoBackend instance = DemoBackend.started(BackendOptions.defaults().withName("only"))) {
      String yaml = """
          max_inflight: 10
          autoscale:
            enabled: true
            provider: {kind: static, backends: ["127.0.0.1:%d"]}
            policy: threshold
            min: 0
            max: 1
            interval: 200ms
          """.formatted(instance.port());
      StcConfig loaded = ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml));
      AutoscaleConfig autoscale = loaded.autoscale();
      try (TestCluster c = TestCluster.of(List.of(), s -> s.withCapacity(loaded.capacity()).withAutoscale(autoscale))) {
        assertThat(c.stc.upstream().pool().availableCount()).as("scaled to zero").isZero();
        CompletableFuture<HttpResponse<String>> first = c.http.sendAsync(
            HttpRequest.newBuilder(c.uri("/first")).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
        // The threshold policy measures per ready instance, of which there is none: the bound starts one.
        HttpResponse<String> r = first.get();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"server\":\"only\"");
        assertThat(c.stc.proxy().stats().queued()).isEqualTo(1);
        assertThat(c.stc.autoscaler().status().current()).isEqualTo(1);
      }
    }
  }
}
