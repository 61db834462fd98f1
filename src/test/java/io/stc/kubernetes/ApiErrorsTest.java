package io.stc.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.stc.kubernetes.FakeCluster.Pod;
import io.stc.scale.Instance;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * API errors (forbidden, conflict, not found) are retried with backoff until the call goes
 * through; the provider keeps following the pods meanwhile. The mock server answers from its
 * expectations first, then from its CRUD store.
 */
class ApiErrorsTest {
  private static final String SCALE = "/apis/apps/v1/namespaces/shop/deployments/web/scale";

  @RegisterExtension final MockApi api = new MockApi();
  private FakeCluster cluster;
  private KubernetesProvider provider;

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

  private static Status status(int code, String reason) {
    return new StatusBuilder().withCode(code).withReason(reason).withMessage(reason + " (from the test)").build();
  }

  @Test
  void forbiddenAndConflictAreRetriedUntilTheScaleLands() {
    cluster.deployment(1);
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"));
    api.server().expect().get().withPath(SCALE).andReturn(403, status(403, "Forbidden")).times(2);
    api.server().expect().put().withPath(SCALE).andReturn(409, status(409, "Conflict")).once();
    provider = cluster.provider(FakeCluster.target(), Duration.ofSeconds(30), Duration.ofSeconds(30));

    provider.start("auto-1");
    await().atMost(Duration.ofSeconds(20)).until(() -> Integer.valueOf(2).equals(cluster.replicas()));
    assertThat(provider.instances()).hasSize(1);
  }

  @Test
  void aForbiddenPatchOfThePodLeavesItInPlaceAndUnscaled() throws Exception {
    cluster.deployment(2);
    cluster.pods("web-a", "web-b");
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-b", "10.1.0.2"));
    api.server().expect().patch().withPath("/api/v1/namespaces/shop/pods/web-b").andReturn(403, status(403, "Forbidden")).always();
    provider = cluster.provider(FakeCluster.target(), Duration.ofSeconds(30), Duration.ofMillis(1500));

    CompletableFuture<Void> stopped = provider.stop(new Instance("web-b", "10.1.0.2", 8080));
    stopped.get();
    assertThat(cluster.replicas()).as("no scale-down without the mark: it could take a busy pod").isEqualTo(2);
    await().untilAsserted(() -> assertThat(provider.instances()).extracting(Instance::name)
        .containsExactlyInAnyOrder("web-a", "web-b"));
  }

  @Test
  void aDeletedDeploymentIsRetriedUntilItIsBackAndThePodsStayMeanwhile() {
    cluster.deployment(1);
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"));
    provider = cluster.provider(FakeCluster.target(), Duration.ofSeconds(30), Duration.ofSeconds(30));
    cluster.deleteDeployment();

    provider.start("auto-1");
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-c", "10.1.0.3").notReady());
    await().untilAsserted(() -> assertThat(provider.instances()).extracting(Instance::name).containsExactly("web-a"));
    assertThat(cluster.replicas()).isNull();

    cluster.deployment(1);
    await().atMost(Duration.ofSeconds(20)).until(() -> Integer.valueOf(2).equals(cluster.replicas()));
  }
}
