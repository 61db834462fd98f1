package io.stc.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.stc.StcServer;
import io.stc.backend.BackendOptions;
import io.stc.backend.BackendStartException;
import io.stc.backend.DemoBackend;
import io.stc.config.ConfigLoader;
import io.stc.config.KubernetesConfig.Fleet;
import io.stc.kubernetes.FakeCluster.Pod;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole stc (proxy, health checks, autoscaler, admin API) on the kubernetes provider, reaching
 * the mock API server through a kubeconfig file. The "pods" are demo backends on 127.0.0.2 and
 * 127.0.0.3, one port for both as in a cluster; the test plays the ReplicaSet.
 */
class KubernetesServeTest {
  @RegisterExtension final MockApi api = new MockApi();
  @TempDir Path dir;

  private final List<DemoBackend> pods = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final ExecutorService clients = Executors.newFixedThreadPool(8);
  private StcServer stc;
  private FleetStats fleet;

  @AfterEach
  void close() throws InterruptedException {
    clients.shutdownNow();
    if (fleet != null) {
      fleet.close();
    }
    if (stc != null) {
      stc.close(Duration.ofSeconds(5));
    }
    pods.forEach(DemoBackend::close);
  }

  /** Demo backends on 127.0.0.2, 127.0.0.3... sharing one port; returns the port. */
  private int startPods(int count) {
    for (int attempt = 0; attempt < 20; attempt++) {
      int port = freePort("127.0.0.2");
      List<DemoBackend> started = new ArrayList<>();
      try {
        for (int i = 0; i < count; i++) {
          started.add(DemoBackend.started(new BackendOptions("web-" + (char) ('a' + i), "127.0.0." + (2 + i), port, 0, 0, 0, 0)));
        }
        pods.addAll(started);
        return port;
      } catch (BackendStartException e) {
        started.forEach(DemoBackend::close);
      }
    }
    throw new AssertionError("no port free on all of 127.0.0.2.." + (1 + count));
  }

  private static int freePort(String host) {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private Path kubeconfig() throws IOException {
    return Files.writeString(dir.resolve("kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters:
          - name: mock
            cluster: {server: "%s"}
        users:
          - name: stc
            user: {token: test-token}
        contexts:
          - name: mock
            context: {cluster: mock, user: stc, namespace: shop}
        current-context: mock
        """.formatted(api.client().getConfiguration().getMasterUrl()));
  }

  private StcServer start(int podPort, int adminPort) throws Exception {
    Path config = Files.writeString(dir.resolve("stc.yaml"), """
        host: 127.0.0.1
        port: 0
        io_threads: 2
        state_dir: %s
        admin: {port: %d}
        health: {interval: 100ms, timeout: 1s, rise: 1, fall: 2}
        autoscale:
          enabled: true
          policy: threshold
          min: 1
          max: 2
          max_inflight: 10
          interval: 200ms
          cooldown_down: 0s
          drain_timeout: 30s
          provider:
            kind: kubernetes
            kubeconfig: %s
            deployment: web
            port: %d
        """.formatted(dir.resolve("state"), adminPort, kubeconfig(), podPort));
    stc = new StcServer(ConfigLoader.load(config));
    stc.start();
    return stc;
  }

  /** {@code clients} loops of {@code each} requests taking {@code delay} seconds; returns each response's status and server. */
  private List<Future<List<String>>> load(int clientsCount, int each, double delay) {
    List<Future<List<String>>> all = new ArrayList<>();
    for (int c = 0; c < clientsCount; c++) {
      all.add(clients.submit(() -> {
        List<String> results = new ArrayList<>();
        for (int i = 0; i < each; i++) {
          HttpResponse<String> r = http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stc.port() + "/work?delay=" + delay))
                  .timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
          results.add(r.statusCode() + " " + r.headers().firstValue("X-Served-By").orElse("?"));
        }
        return results;
      }));
    }
    return all;
  }

  private static List<String> results(List<Future<List<String>>> load) throws Exception {
    List<String> all = new ArrayList<>();
    for (Future<List<String>> f : load) {
      all.addAll(f.get(60, TimeUnit.SECONDS));
    }
    return all;
  }

  @Test
  void aScaleDownDrainsThePodFirstSoNoRequestFails() throws Exception {
    int port = startPods(2);
    FakeCluster cluster = new FakeCluster(api.client());
    cluster.deployment(2);
    cluster.pods("web-a", "web-b");
    Pod a = Pod.ready("web-a", "127.0.0.2");
    Pod b = Pod.ready("web-b", "127.0.0.3");
    cluster.endpoints(a, b);

    start(port, 0);
    // 4 slow requests in flight on 2 pods of 10 each: 20% used, below threshold_down, so one pod goes.
    List<Future<List<String>>> load = load(4, 6, 0.3);
    await().atMost(Duration.ofSeconds(20)).until(() -> Integer.valueOf(1).equals(cluster.replicas()));
    String victim = "-1000".equals(cluster.deletionCost("web-a")) ? "web-a" : "web-b";
    String survivor = victim.equals("web-a") ? "web-b" : "web-a";
    assertThat(cluster.deletionCost(survivor)).isNull();
    assertThat(stc.upstream().pool().find(victim)).as("drained and out of the pool before the mark").isNull();

    // The ReplicaSet deletes the cheapest pod.
    cluster.endpoints(victim.equals("web-a") ? a.terminating() : a, victim.equals("web-b") ? b.terminating() : b);
    cluster.endpoints(victim.equals("web-a") ? b : a);
    List<String> results = results(load);
    assertThat(results).hasSize(24).allMatch(r -> r.startsWith("200 "));

    List<String> after = results(load(2, 3, 0));
    assertThat(after).containsOnly("200 " + survivor);
  }

  @Test
  void apiErrorsNeverReachTheDataPlane() throws Exception {
    int port = startPods(1);
    FakeCluster cluster = new FakeCluster(api.client());
    cluster.deployment(1);
    cluster.endpoints(Pod.ready("web-a", "127.0.0.2"));
    start(port, 0);
    await().until(() -> stc.upstream().pool().available().length == 1);

    cluster.deleteDeployment();
    api.server().expect().get().withPath("/apis/apps/v1/namespaces/shop/deployments/web/scale")
        .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden").build()).times(2);
    // 8 in flight on one pod of 10: above threshold_up, so stc wants another and cannot have it.
    List<String> results = results(load(8, 5, 0.3));
    assertThat(results).hasSize(40).allMatch(r -> r.equals("200 web-a"));
    assertThat(cluster.replicas()).isNull();
    assertThat(stc.upstream().pool().available()).hasSize(1);

    cluster.deployment(1);
    await().atMost(Duration.ofSeconds(40)).until(() -> Integer.valueOf(2).equals(cluster.replicas()));
  }

  @Test
  void theFleetReadsAnotherReplicasLoadFromItsAdminApi() throws Exception {
    int port = startPods(2);
    FakeCluster cluster = new FakeCluster(api.client());
    cluster.deployment(2);
    cluster.endpoints(Pod.ready("web-a", "127.0.0.2"), Pod.ready("web-b", "127.0.0.3"));
    int adminPort = freePort("127.0.0.1");
    start(port, adminPort);
    // This stc, seen from a leader named stc-leader, is the replica stc-other behind Service stc.
    cluster.endpoints("stc", Pod.ready("stc-other", "127.0.0.1"), Pod.ready("stc-leader", "127.0.0.9"));
    fleet = new FleetStats(KubernetesConnection.open(api.client().getConfiguration()), "shop", new Fleet("stc", adminPort),
        "stc-leader", null, Duration.ofMillis(100));
    fleet.start();
    fleet.setActive(true);

    List<Future<List<String>>> load = load(4, 4, 0.5);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(fleet.answering()).isEqualTo(1);
      assertThat(fleet.inFlight()).isEqualTo(4);
      assertThat(fleet.load("web-a") + fleet.load("web-b")).isEqualTo(4);
    });
    assertThat(fleet.queueDepth()).isZero();
    results(load);
    await().until(() -> fleet.inFlight() == 0);
  }
}
