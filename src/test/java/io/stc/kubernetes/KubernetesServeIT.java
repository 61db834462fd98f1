package io.stc.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.kubernetes.FakeCluster.Pod;
import io.stc.testing.StcProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fat jar on the kubernetes provider (so the shaded fabric8 client, its JDK HTTP transport and
 * the model classes kept in the jar are what runs), against the mock API server of this JVM.
 */
class KubernetesServeIT {
  @RegisterExtension final MockApi api = new MockApi();
  @TempDir Path dir;
  private DemoBackend pod;

  @AfterEach
  void close() {
    if (pod != null) {
      pod.close();
    }
  }

  @Test
  void theJarFollowsThePodsAndScalesTheDeployment() throws Exception {
    pod = DemoBackend.started(new BackendOptions("web-a", "127.0.0.2", 0, 0.5, 0, 0, 0));
    FakeCluster cluster = new FakeCluster(api.client());
    cluster.deployment(1);
    cluster.endpoints(Pod.ready("web-a", "127.0.0.2"));
    Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters: [{name: mock, cluster: {server: "%s"}}]
        users: [{name: stc, user: {token: test-token}}]
        contexts: [{name: mock, context: {cluster: mock, user: stc, namespace: shop}}]
        current-context: mock
        """.formatted(api.client().getConfiguration().getMasterUrl()));
    Path config = Files.writeString(dir.resolve("stc.yaml"), """
        host: 127.0.0.1
        port: 0
        state_dir: %s
        admin: {port: 0}
        health: {interval: 200ms, timeout: 1s, rise: 1}
        autoscale:
          enabled: true
          policy: threshold
          min: 1
          max: 3
          max_inflight: 4
          interval: 200ms
          provider: {kind: kubernetes, kubeconfig: %s, deployment: web, port: %d}
        """.formatted(dir.resolve("state"), kubeconfig, pod.port()));

    try (StcProcess stc = StcProcess.start("serve", "--config", config.toString())) {
      int port = stc.awaitListening();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      // 4 half-second requests at once on one pod of 4: full, so stc asks for more.
      List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        requests.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/x"))
            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> cluster.replicas() != null && cluster.replicas() > 1);
      for (CompletableFuture<HttpResponse<String>> r : requests) {
        assertThat(r.get().statusCode()).isEqualTo(200);
        assertThat(r.get().headers().firstValue("X-Served-By")).hasValue("web-a");
      }
      assertThat(stc.terminate()).isZero();
      assertThat(stc.stderr()).contains("kubernetes provider: deployment shop/web")
          .doesNotContain("NoClassDefFoundError").doesNotContain("ClassNotFoundException");
    }
  }
}
