package io.stc.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.stc.Clock;
import io.stc.config.AutoscaleConfig;
import io.stc.config.ConfigLoader;
import io.stc.kubernetes.FakeCluster.Pod;
import io.stc.pool.Upstream;
import io.stc.scale.Autoscaler;
import io.stc.testing.TcpRelay;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two stc autoscalers on one Deployment with a Lease between them: only the holder scales, the
 * other takes over when it stops. Each wants a different minimum, so the replica count shows who
 * scaled.
 */
class LeaderElectionTest {
  @RegisterExtension final MockApi api = new MockApi();
  @TempDir Path dir;
  private final List<Replica> replicas = new ArrayList<>();

  /** One stc replica's scaling side. */
  private final class Replica {
    final KubernetesProvider provider;
    final Autoscaler autoscaler;
    final KubernetesScaling scaling;
    boolean closed;

    Replica(String identity, int min) throws Exception {
      this(identity, min, api.client().getConfiguration());
    }

    Replica(String identity, int min, Config api) throws Exception {
      AutoscaleConfig config = ConfigLoader.load(Files.writeString(dir.resolve(identity + ".yaml"), """
          autoscale:
            enabled: true
            policy: threshold
            min: %d
            max: 6
            interval: 100ms
            cooldown_down: 0s
            provider: {kind: kubernetes, namespace: shop, deployment: web, port: 8080}
            leader_election: {lease: stc-leader, lease_duration: 2s, renew_deadline: 1500ms, retry_period: 200ms}
          """.formatted(min))).autoscale();
      provider = new KubernetesProvider(KubernetesConnection.open(api), true, "shop", config.provider().kubernetes(),
          Duration.ofSeconds(30), Duration.ofSeconds(30)).open();
      autoscaler = new Autoscaler(config, new Upstream(Clock.SYSTEM), provider, false, Clock.SYSTEM);
      scaling = KubernetesScaling.attach(autoscaler, provider, identity, null, config.interval());
      autoscaler.start();
      scaling.start();
      replicas.add(this);
    }

    void close() throws InterruptedException {
      if (!closed) {
        closed = true;
        scaling.close();
        autoscaler.close();
      }
    }
  }

  @AfterEach
  void close() throws InterruptedException {
    for (Replica r : replicas) {
      r.close();
    }
  }

  @Test
  void onlyTheLeaseHolderScalesAndAnotherTakesOverWhenItStops() throws Exception {
    FakeCluster cluster = new FakeCluster(api.client());
    cluster.deployment(2);
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-b", "10.1.0.2"));

    Replica first = new Replica("stc-1", 3);
    await().until(first.autoscaler::leading);
    await().until(() -> Integer.valueOf(3).equals(cluster.replicas()));

    Replica second = new Replica("stc-2", 4);
    assertThat(second.provider.instances()).as("a follower still follows the pods").hasSize(2);
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
        .until(() -> Integer.valueOf(3).equals(cluster.replicas()) && !second.autoscaler.leading());
    assertThat(second.provider.inCharge()).isFalse();
    assertThat(lease()).isEqualTo("stc-1");

    first.close();
    await().until(second.autoscaler::leading);
    await().until(() -> Integer.valueOf(4).equals(cluster.replicas()));
    assertThat(lease()).isEqualTo("stc-2");
  }

  @Test
  void aLeaderCutOffFromTheApiServerStopsScalingAndAnotherTakesOverAfterTheLease() throws Exception {
    FakeCluster cluster = new FakeCluster(api.client());
    cluster.deployment(2);
    cluster.endpoints(Pod.ready("web-a", "10.1.0.1"), Pod.ready("web-b", "10.1.0.2"));
    URI master = URI.create(api.client().getConfiguration().getMasterUrl());
    try (TcpRelay link = new TcpRelay(master.getPort())) {
      Config viaLink = new ConfigBuilder(api.client().getConfiguration()).withMasterUrl("http://127.0.0.1:" + link.port()).build();
      Replica first = new Replica("stc-1", 2, viaLink);
      await().until(first.autoscaler::leading);
      Replica second = new Replica("stc-2", 4);

      // A partition: the leader cannot renew, nor release its Lease.
      link.cut();
      await().atMost(Duration.ofSeconds(15)).until(() -> !first.autoscaler.leading());
      await().atMost(Duration.ofSeconds(15)).until(second.autoscaler::leading);
      await().until(() -> Integer.valueOf(4).equals(cluster.replicas()));
      assertThat(lease()).isEqualTo("stc-2");
    }
  }

  private String lease() {
    var l = api.client().leases().inNamespace("shop").withName("stc-leader").get();
    return l == null ? null : l.getSpec().getHolderIdentity();
  }
}
