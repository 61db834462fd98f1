package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.AutoscaleConfig.ProviderKind;
import io.stc.config.KubernetesConfig.Fleet;
import io.stc.config.KubernetesConfig.LeaderElection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubernetesConfigTest {
  @TempDir Path dir;

  private AutoscaleConfig load(String yaml) throws IOException {
    return ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)).autoscale();
  }

  private String error(String yaml) throws IOException {
    return ConfigFiles.error(dir, "bad.yaml", yaml);
  }

  @Test
  void aDeploymentAndPortAreEnoughTheRestHasDefaults() throws IOException {
    AutoscaleConfig a = load("autoscale:\n  provider: {kind: kubernetes, deployment: web, port: 8080}\n");
    assertThat(a.provider().kind()).isEqualTo(ProviderKind.KUBERNETES);
    assertThat(a.provider().kubernetes()).isEqualTo(new KubernetesConfig(null, "web", "web", 8080, null, null, null));
    assertThat(a.provider().stopTimeout()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void readsEveryKey() throws IOException {
    Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), "apiVersion: v1\nkind: Config\n");
    AutoscaleConfig a = load("""
        autoscale:
          provider:
            kind: kubernetes
            namespace: shop
            deployment: web
            service: web-pods
            port: 8081
            kubeconfig: %s
            stop_timeout: 20s
          leader_election:
            lease: my-lease
            namespace: infra
            lease_duration: 20s
            renew_deadline: 12s
            retry_period: 3s
          fleet:
            service: stc
            admin_port: 9191
        """.formatted(kubeconfig));
    assertThat(a.provider().kubernetes()).isEqualTo(new KubernetesConfig("shop", "web", "web-pods", 8081, kubeconfig,
        new LeaderElection("my-lease", "infra", Duration.ofSeconds(20), Duration.ofSeconds(12), Duration.ofSeconds(3)),
        new Fleet("stc", 9191)));
    assertThat(a.provider().stopTimeout()).isEqualTo(Duration.ofSeconds(20));

    AutoscaleConfig defaults = load("""
        autoscale:
          provider: {kind: kubernetes, deployment: web, port: 8080}
          leader_election: {}
          fleet: {service: stc}
        """);
    assertThat(defaults.provider().kubernetes().leaderElection()).isEqualTo(LeaderElection.defaults());
    assertThat(defaults.provider().kubernetes().fleet()).isEqualTo(new Fleet("stc", 9090));
  }

  @Test
  void mistakesAreReportedAtTheirLine() throws IOException {
    assertThat(error("autoscale:\n  provider:\n    kind: kubernetes\n    port: 8080\n"))
        .isEqualTo("2: autoscale.provider.deployment: missing (required)");
    assertThat(error("autoscale:\n  provider:\n    kind: kubernetes\n    deployment: web\n"))
        .isEqualTo("2: autoscale.provider.port: missing (required with kind kubernetes: the port the pods serve on)");
    assertThat(error("autoscale:\n  provider:\n    kind: kubernetes\n    deployment: Web_1\n    port: 80\n"))
        .isEqualTo("4: autoscale.provider.deployment: expected a Kubernetes name (lower-case letters, digits, '-' and '.'), got 'Web_1'");
    assertThat(error("autoscale:\n  provider:\n    kind: kubernetes\n    deployment: web\n    port: 70000\n"))
        .startsWith("5: autoscale.provider.port: ");
    assertThat(error("autoscale:\n  provider:\n    kind: kubernetes\n    deployment: web\n    port: 80\n    kubeconfig: /nope/config\n"))
        .isEqualTo("6: autoscale.provider.kubeconfig: no such file: /nope/config");
    assertThat(error("autoscale:\n  provider:\n    kind: kubernetes\n    deployment: web\n    port: 80\n    command: [x]\n"))
        .isEqualTo("6: autoscale.provider.command: not used with kind kubernetes (the Deployment's pods are the instances)");
    assertThat(error("autoscale:\n  provider:\n    deployment: web\n"))
        .isEqualTo("3: autoscale.provider.deployment: only used with kind kubernetes");
    assertThat(error("autoscale:\n  provider: {kind: static, backends: [\"a:1\"], stop_timeout: 2s}\n"))
        .isEqualTo("2: autoscale.provider.stop_timeout: only used with kinds process and kubernetes");
  }

  @Test
  void leaderElectionAndFleetBelongToTheKubernetesProvider() throws IOException {
    String k = "autoscale:\n  provider: {kind: kubernetes, deployment: web, port: 80}\n";
    assertThat(error("autoscale:\n  leader_election: {lease: x}\n"))
        .isEqualTo("2: autoscale.leader_election: only used with provider kind kubernetes");
    assertThat(error("autoscale:\n  fleet: {service: stc}\n"))
        .isEqualTo("2: autoscale.fleet: only used with provider kind kubernetes");
    assertThat(error(k + "  fleet: {admin_port: 9090}\n"))
        .isEqualTo("3: autoscale.fleet.service: missing (required: the Service in front of the stc replicas)");
    assertThat(error(k + "  leader_election:\n    lease_duration: 5s\n    renew_deadline: 5s\n"))
        .isEqualTo("5: autoscale.leader_election.renew_deadline: renew_deadline (5000ms) must be shorter than lease_duration (5000ms)");
    assertThat(error(k + "  leader_election:\n    renew_deadline: 2s\n    retry_period: 2s\n"))
        .isEqualTo("5: autoscale.leader_election.retry_period: retry_period (2000ms) x 1.2 must be shorter than renew_deadline (2000ms)");
    assertThat(error(k + "  leader_election:\n    lease_duration: 500ms\n    renew_deadline: 400ms\n    retry_period: 100ms\n"))
        .isEqualTo("4: autoscale.leader_election.lease_duration: must be at least 1s, got 500ms");
    assertThat(error(k + "  leader_election:\n    leader: me\n"))
        .startsWith("4: autoscale.leader_election.leader: unknown key");
  }
}
