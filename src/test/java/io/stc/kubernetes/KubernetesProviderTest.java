package io.stc.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.stc.kubernetes.FakeCluster.Pod;
import io.stc.scale.Instance;
import io.stc.scale.InstanceProvider.DiscoveryListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KubernetesProviderTest {
  @RegisterExtension final MockApi api = new MockApi();
  private FakeCluster cluster;
  private KubernetesProvider provider;
  private final List<String> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void cluster() {
    cluster = new FakeCluster(api.client());
  }

  @AfterEach
  void close() {
    if (provider != null) {
      provider.close();
    }
  }

  private void open(Duration startTimeout, Duration stopTimeout) {
    provider = cluster.provider(FakeCluster.target(), startTimeout, stopTimeout);
    provider.onDiscovery(new DiscoveryListener() {
      @Override
      public void appeared(Instance i) {
        events.add("appeared " + i);
      }

      @Override
      public void leaving(Instance i, String detail) {
        events.add("leaving " + i.name());
      }

      @Override
      public void gone(Instance i, String detail) {
        events.add("gone " + i.name());
      }
    });
  }

  @Test
  void readyEndpointsAreInstancesTerminatingOnesLeaveRemovedOnesAreGone() {
    cluster.deployment(2);
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-b", "10.1.0.2").notReady());
    open(Duration.ofSeconds(30), Duration.ofSeconds(30));
    assertThat(provider.instances()).as("only the ready pod serves").containsExactly(new Instance("web-a", "10.1.0.1", 8080));

    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-b", "10.1.0.2"));
    await().until(() -> events.contains("appeared web-b@10.1.0.2:8080"));

    cluster.endpoints(Pod.ready("web-a", "10.1.0.1").terminating(), Pod.ready("web-b", "10.1.0.2"));
    await().until(() -> events.contains("leaving web-a"));
    assertThat(provider.instances()).extracting(Instance::name).containsExactly("web-b");

    cluster.endpoints(Pod.ready("web-b", "10.1.0.2"));
    await().until(() -> events.contains("gone web-a"));

    cluster.endpoints();
    await().until(() -> events.contains("gone web-b"));
    assertThat(provider.instances()).isEmpty();
    assertThat(events).containsExactly(
        "appeared web-b@10.1.0.2:8080", "leaving web-a", "gone web-a", "gone web-b");
  }

  @Test
  void startRaisesTheReplicasAndHandsOverTheNextReadyPod() throws Exception {
    cluster.deployment(1);
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"));
    open(Duration.ofSeconds(30), Duration.ofSeconds(30));

    CompletableFuture<Instance> started = provider.start("auto-1");
    await().until(() -> Integer.valueOf(2).equals(cluster.replicas()));
    assertThat(started).isNotDone();

    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-b", "10.1.0.2").notReady());
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-b", "10.1.0.2"));
    assertThat(started.get()).isEqualTo(new Instance("web-b", "10.1.0.2", 8080));
    assertThat(events).as("handed to the start, not reported as found").isEmpty();
  }

  @Test
  void aStartClaimsAReplicaAlreadyAskedForInsteadOfAskingForAnother() throws Exception {
    cluster.deployment(2);
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-b", "10.1.0.2").notReady());
    open(Duration.ofSeconds(30), Duration.ofSeconds(30));

    CompletableFuture<Instance> started = provider.start("auto-1");
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-b", "10.1.0.2"));
    assertThat(started.get().name()).isEqualTo("web-b");
    assertThat(cluster.replicas()).isEqualTo(2);
  }

  @Test
  void aStartWithoutANewPodFailsAfterStartTimeout() {
    cluster.deployment(1);
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"));
    open(Duration.ofMillis(300), Duration.ofSeconds(30));
    CompletableFuture<Instance> started = provider.start("auto-1");
    await().until(started::isDone);
    assertThatThrownBy(started::get).cause()
        .isInstanceOf(TimeoutException.class).hasMessageContaining("deployment shop/web");
  }

  @Test
  void stopMarksThePodWithALowDeletionCostThenLowersTheReplicas() throws Exception {
    cluster.deployment(3);
    cluster.pods("web-a", "web-b", "web-c");
    Pod a = Pod.ready("web-a", "10.1.0.1");
    Pod b = Pod.ready("web-b", "10.1.0.2");
    Pod c = Pod.ready("web-c", "10.1.0.3");
    cluster.endpoints(a, b, c);
    open(Duration.ofSeconds(30), Duration.ofSeconds(30));

    Instance victim = new Instance("web-b", "10.1.0.2", 8080);
    CompletableFuture<Void> stopped = provider.stop(victim);
    await().until(() -> Integer.valueOf(2).equals(cluster.replicas()));
    assertThat(cluster.deletionCost("web-b")).isEqualTo("-1000");
    assertThat(cluster.deletionCost("web-a")).isNull();
    assertThat(provider.instances()).extracting(Instance::name).containsExactly("web-a", "web-c");
    assertThat(stopped).as("done once the pod goes").isNotDone();

    // The ReplicaSet picks the cheapest pod.
    cluster.endpoints(a, b.terminating(), c);
    stopped.get();
    cluster.endpoints(a, c);
    await().untilAsserted(() -> assertThat(provider.instances()).extracting(Instance::name).containsExactly("web-a", "web-c"));
    assertThat(events).as("its leaving was planned, not news").isEmpty();
  }

  @Test
  void aMarkedPodThatTheReplicaSetSparesComesBackUnmarked() throws Exception {
    cluster.deployment(3);
    cluster.pods("web-a", "web-b", "web-c");
    Pod a = Pod.ready("web-a", "10.1.0.1");
    Pod b = Pod.ready("web-b", "10.1.0.2");
    Pod c = Pod.ready("web-c", "10.1.0.3").notReady();
    cluster.endpoints(a, b, c);
    open(Duration.ofSeconds(30), Duration.ofMillis(500));

    CompletableFuture<Void> stopped = provider.stop(new Instance("web-b", "10.1.0.2", 8080));
    await().until(() -> Integer.valueOf(2).equals(cluster.replicas()));
    // A not-ready pod goes first, whatever the costs.
    cluster.endpoints(a, b);
    stopped.get();
    await().until(() -> events.contains("appeared web-b@10.1.0.2:8080"));
    await().until(() -> cluster.deletionCost("web-b") == null);
    assertThat(provider.instances()).extracting(Instance::name).containsExactlyInAnyOrder("web-a", "web-b");
  }

  @Test
  void aProviderNotInChargeChangesNothing() {
    cluster.deployment(1);
    cluster.pods("web-a");
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"));
    open(Duration.ofSeconds(30), Duration.ofSeconds(30));
    provider.relinquish();

    assertThat(provider.start("auto-1")).isCompletedExceptionally();
    assertThat(provider.stop(new Instance("web-a", "10.1.0.1", 8080))).isCompletedExceptionally();
    assertThat(cluster.replicas()).isEqualTo(1);
    assertThat(cluster.deletionCost("web-a")).isNull();
    assertThat(provider.instances()).as("still follows the pods").hasSize(1);

    provider.takeCharge();
    provider.start("auto-1");
    await().until(() -> Integer.valueOf(2).equals(cluster.replicas()));
  }

  @Test
  void losingChargeFailsWaitingStartsAndPutsBackAPodBeingStopped() throws Exception {
    cluster.deployment(2);
    cluster.pods("web-a", "web-b");
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-b", "10.1.0.2"));
    open(Duration.ofSeconds(30), Duration.ofSeconds(30));

    CompletableFuture<Instance> starting = provider.start("auto-1");
    await().until(() -> Integer.valueOf(3).equals(cluster.replicas()));
    CompletableFuture<Void> stopping = provider.stop(new Instance("web-a", "10.1.0.1", 8080));
    await().until(() -> "-1000".equals(cluster.deletionCost("web-a")));
    await().until(() -> Integer.valueOf(2).equals(cluster.replicas()));

    provider.relinquish();
    assertThat(starting).isCompletedExceptionally();
    stopping.get();
    assertThat(events).contains("appeared web-a@10.1.0.1:8080");
    await().until(() -> cluster.deletionCost("web-a") == null);
  }
}
