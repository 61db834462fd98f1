package io.stc.config;

import io.stc.config.AutoscaleConfig.Provider;
import io.stc.config.KubernetesConfig.Fleet;
import io.stc.config.KubernetesConfig.LeaderElection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Reads the kubernetes provider's keys ({@code autoscale.provider} with {@code kind: kubernetes})
 * and the {@code autoscale.leader_election} and {@code autoscale.fleet} sections that only it uses.
 */
final class KubernetesSection {
  /** How long the ReplicaSet has to take a drained pod away before stc puts it back in the pool. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  /** A DNS-1123 subdomain, what Kubernetes accepts as the name of a Deployment, Service, Lease or namespace. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  private KubernetesSection() {}

  /** The Deployment, its Service, port and kubeconfig, without leader election or fleet yet. */
  static KubernetesConfig target(ConfigMap p) {
    String deployment = p.require("deployment").as("a Deployment name", KubernetesSection::name);
    if (!p.has("port")) {
      throw p.fail("port", "missing (required with kind kubernetes: the port the pods serve on)");
    }
    return new KubernetesConfig(
        p.value("namespace", "a namespace", KubernetesSection::name, null),
        deployment,
        p.value("service", "a Service name", KubernetesSection::name, deployment),
        p.integer("port", 1, 65535, 0),
        p.value("kubeconfig", "a kubeconfig file", KubernetesSection::kubeconfig, null),
        null,
        null);
  }

  /** {@code provider} with the {@code leader_election} and {@code fleet} sections of {@code autoscale}. */
  static Provider withReplicas(Provider provider, ConfigMap a) {
    KubernetesConfig k = provider.kubernetes();
    LeaderElection election = null;
    if (a.has("leader_election")) {
      election = leaderElection(a.section("leader_election",
          "lease", "namespace", "lease_duration", "renew_deadline", "retry_period"));
    }
    Fleet fleet = null;
    if (a.has("fleet")) {
      ConfigMap f = a.section("fleet", "service", "admin_port");
      if (!f.has("service")) {
        throw f.fail("service", "missing (required: the Service in front of the stc replicas)");
      }
      fleet = new Fleet(
          f.value("service", "a Service name", KubernetesSection::name, null),
          f.integer("admin_port", 1, 65535, Fleet.DEFAULT_ADMIN_PORT));
    }
    KubernetesConfig withBoth = new KubernetesConfig(
        k.namespace(), k.deployment(), k.service(), k.port(), k.kubeconfig(), election, fleet);
    return new Provider(provider.kind(), provider.command(), provider.logDir(), provider.stopTimeout(),
        provider.backends(), withBoth, null, provider.maxStarting());
  }

  private static LeaderElection leaderElection(ConfigMap e) {
    LeaderElection d = LeaderElection.defaults();
    Duration lease = e.positiveDuration("lease_duration", d.leaseDuration());
    Duration renew = e.positiveDuration("renew_deadline", d.renewDeadline());
    Duration retry = e.positiveDuration("retry_period", d.retryPeriod());
    if (lease.compareTo(Duration.ofSeconds(1)) < 0) {
      // The Lease keeps whole seconds.
      throw e.fail("lease_duration", "must be at least 1s, got " + lease.toMillis() + "ms");
    }
    if (renew.compareTo(lease) >= 0) {
      throw e.fail(e.has("renew_deadline") ? "renew_deadline" : "lease_duration", "renew_deadline ("
          + renew.toMillis() + "ms) must be shorter than lease_duration (" + lease.toMillis() + "ms)");
    }
    // fabric8's elector refuses less: a renewal must fit in the deadline with its jitter.
    if (retry.toMillis() * 12 / 10 >= renew.toMillis()) {
      throw e.fail(e.has("retry_period") ? "retry_period" : "renew_deadline", "retry_period ("
          + retry.toMillis() + "ms) x 1.2 must be shorter than renew_deadline (" + renew.toMillis() + "ms)");
    }
    return new LeaderElection(
        e.value("lease", "a Lease name", KubernetesSection::name, d.lease()),
        e.value("namespace", "a namespace", KubernetesSection::name, null),
        lease,
        renew,
        retry);
  }

  private static String name(String text) {
    String name = text.trim();
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "expected a Kubernetes name (lower-case letters, digits, '-' and '.'), got '" + text + "'");
    }
    return name;
  }

  private static Path kubeconfig(String text) {
    Path file = Path.of(ConfigMap.nonEmpty(text));
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no such file: " + file);
    }
    return file;
  }
}
