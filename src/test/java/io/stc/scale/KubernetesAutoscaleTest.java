package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.ManualClock;
import io.stc.config.AutoscaleConfig;
import io.stc.config.ConfigLoader;
import io.stc.kubernetes.FakeCluster;
import io.stc.kubernetes.FakeCluster.Pod;
import io.stc.kubernetes.KubernetesProvider;
import io.stc.kubernetes.MockApi;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The autoscaler on the kubernetes provider, against fabric8's mock API server (CRUD mode). */
class KubernetesAutoscaleTest {
  @RegisterExtension final MockApi api = new MockApi();
  @TempDir Path dir;

  private final ManualClock clock = new ManualClock();
  private final Upstream upstream = new Upstream(clock);
  private final List<ScaleEvent> events = new CopyOnWriteArrayList<>();
  private FakeCluster cluster;
  private Autoscaler autoscaler;

  private final Pod a = Pod.ready("web-a", "10.1.0.1");
  private final Pod b = Pod.ready("web-b", "10.1.0.2");
  private final Pod c = Pod.ready("web-c", "10.1.0.3");

  @BeforeEach
  void cluster() {
    cluster = new FakeCluster(api.client());
  }

  @AfterEach
  void close() throws InterruptedException {
    if (autoscaler != null) {
      autoscaler.close();
    }
  }

  private void begin(String min, String max) throws Exception {
    AutoscaleConfig config = ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), """
        autoscale:
          enabled: true
          policy: threshold
          min: %s
          max: %s
          max_inflight: 10
          cooldown_down: 0s
          provider: {kind: kubernetes, namespace: shop, deployment: web, port: 8080}
        """.formatted(min, max))).autoscale();
    KubernetesProvider provider = cluster.provider(config.provider().kubernetes(), Duration.ofSeconds(30), Duration.ofSeconds(30));
    autoscaler = new Autoscaler(config, upstream, provider, true, clock, QueueGauge.NONE);
    autoscaler.addListener(events::add);
    autoscaler.begin();
  }

  private void tick() throws InterruptedException {
    clock.advance(Duration.ofSeconds(1));
    autoscaler.tickNow();
  }

  private void passHealthChecks() throws InterruptedException {
    for (Backend be : upstream.pool().all()) {
      if (be.state() == BackendState.DOWN) {
        upstream.setState(be, BackendState.UP, "test probe passed");
      }
    }
    autoscaler.sync();
  }

  private Map<String, BackendState> pool() {
    Map<String, BackendState> m = new java.util.TreeMap<>();
    upstream.pool().all().forEach(be -> m.put(be.id(), be.state()));
    return m;
  }

  /** Waits until the pool is as given, the autoscaler having handled what the watch reported. */
  private void awaitPool(Map<String, BackendState> expected) {
    await().untilAsserted(() -> {
      autoscaler.sync();
      assertThat(pool()).isEqualTo(expected);
    });
  }

  private void load(String id, int inFlight) {
    Backend be = upstream.pool().find(id);
    while (be.stats().inFlight() < inFlight) {
      be.stats().requestStarted();
    }
    while (be.stats().inFlight() > inFlight) {
      be.stats().requestFinished(1_000_000, false);
    }
  }

  @Test
  void readyPodsJoinDownTerminatingOnesDrainRemovedOnesLeave() throws Exception {
    cluster.deployment(2);
    cluster.endpoints(a, b.notReady());
    begin("1", "4");
    assertThat(pool()).as("found at start, admitted by stc's own health check").isEqualTo(Map.of("web-a", BackendState.DOWN));
    passHealthChecks();
    assertThat(pool()).isEqualTo(Map.of("web-a", BackendState.UP));

    cluster.endpoints(a, b);
    awaitPool(Map.of("web-a", BackendState.UP, "web-b", BackendState.DOWN));
    passHealthChecks();

    load("web-a", 1);
    cluster.endpoints(a.terminating(), b);
    awaitPool(Map.of("web-a", BackendState.DRAINING, "web-b", BackendState.UP));
    autoscaler.checkDrainsNow();
    autoscaler.checkDrainsNow();
    assertThat(pool()).as("its request is still in flight").containsKey("web-a");
    load("web-a", 0);
    autoscaler.checkDrainsNow();
    autoscaler.checkDrainsNow();
    assertThat(pool()).isEqualTo(Map.of("web-b", BackendState.UP));

    cluster.endpoints();
    awaitPool(Map.of());
    assertThat(cluster.replicas()).as("pods that leave are the ReplicaSet's to replace").isEqualTo(2);
    assertThat(events).extracting(e -> e.kind() + " " + e.instance())
        .containsExactly("READY web-a", "READY web-b", "STOPPED web-a", "CRASHED web-b");
  }

  @Test
  void scaleUpWritesTheDeploymentsScaleAndTheNewPodJoinsWhenReady() throws Exception {
    cluster.deployment(2);
    cluster.endpoints(a, b);
    begin("2", "4");
    passHealthChecks();
    load("web-a", 8);
    load("web-b", 8);

    tick();
    await().until(() -> Integer.valueOf(3).equals(cluster.replicas()));
    assertThat(autoscaler.status().pending()).isEqualTo(1);

    cluster.endpoints(a, b, c);
    awaitPool(Map.of("web-a", BackendState.UP, "web-b", BackendState.UP, "web-c", BackendState.DOWN));
    passHealthChecks();
    assertThat(autoscaler.status().current()).isEqualTo(3);
    assertThat(events).extracting(e -> e.kind() + " " + e.instance()).contains("READY web-c");
  }

  @Test
  void scaleDownDrainsTheLeastBusyPodMarksItThenLowersTheReplicas() throws Exception {
    cluster.deployment(3);
    cluster.pods("web-a", "web-b", "web-c");
    cluster.endpoints(a, b, c);
    begin("1", "4");
    passHealthChecks();
    load("web-a", 2);
    load("web-b", 1);
    load("web-c", 3);

    tick();
    assertThat(pool()).containsEntry("web-b", BackendState.DRAINING);
    autoscaler.checkDrainsNow();
    autoscaler.checkDrainsNow();
    assertThat(cluster.deletionCost("web-b")).as("not while a request is in flight").isNull();
    assertThat(cluster.replicas()).isEqualTo(3);

    load("web-b", 0);
    autoscaler.checkDrainsNow();
    autoscaler.checkDrainsNow();
    await().until(() -> Integer.valueOf(2).equals(cluster.replicas()));
    assertThat(cluster.deletionCost("web-b")).isEqualTo("-1000");
    assertThat(cluster.deletionCost("web-a")).isNull();
    assertThat(cluster.deletionCost("web-c")).isNull();
    assertThat(pool()).doesNotContainKey("web-b");

    cluster.endpoints(a, b.terminating(), c);
    await().untilAsserted(() -> {
      autoscaler.sync();
      assertThat(events).extracting(e -> e.kind() + " " + e.instance()).contains("STOPPED web-b");
    });
    cluster.endpoints(a, c);
    awaitPool(Map.of("web-a", BackendState.UP, "web-c", BackendState.UP));
  }

  @Test
  void stickySessionsCountAgainstAPodInTheChoiceOfTheVictim() throws Exception {
    cluster.deployment(2);
    cluster.pods("web-a", "web-b");
    cluster.endpoints(a, b);
    begin("1", "4");
    autoscaler.withSessions(be -> be.id().equals("web-a") ? 5 : 0);
    passHealthChecks();
    load("web-b", 1);

    tick();
    assertThat(pool()).as("1 in flight beats 5 sessions").containsEntry("web-b", BackendState.DRAINING);
  }

  @Test
  void aFollowerKeepsItsPoolInStepButNeverScales() throws Exception {
    cluster.deployment(2);
    cluster.endpoints(a, b);
    begin("3", "4");
    autoscaler.setLeading(false);
    passHealthChecks();

    tick();
    tick();
    assertThat(cluster.replicas()).as("min 3, but another stc leads").isEqualTo(2);
    cluster.endpoints(a.terminating(), b);
    awaitPool(Map.of("web-a", BackendState.DRAINING, "web-b", BackendState.UP));
    cluster.endpoints(b);
    awaitPool(Map.of("web-b", BackendState.UP));

    ((KubernetesProvider) autoscaler.provider()).takeCharge();
    autoscaler.setLeading(true);
    tick();
    await().until(() -> Integer.valueOf(3).equals(cluster.replicas()));
    cluster.endpoints(b, c);
    awaitPool(Map.of("web-b", BackendState.UP, "web-c", BackendState.DOWN));
    passHealthChecks();
    assertThat(autoscaler.status().current()).as("web-b, web-c and one more asked for (web-a left)").isEqualTo(3);
  }
}
