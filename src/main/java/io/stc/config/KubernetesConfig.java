package io.stc.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where the kubernetes provider finds its instances and how several stc replicas share the work:
 * the Deployment it scales, the Service whose EndpointSlices list the Deployment's pods, the port
 * they serve on, an optional leader election and an optional fleet to sum the demand over.
 *
 * @param namespace the namespace of the Deployment; null: the client's (in-cluster: the pod's own)
 * @param service the Service whose EndpointSlices (label {@code kubernetes.io/service-name}) list the pods
 * @param kubeconfig a kubeconfig file; null: in-cluster service account, else {@code KUBECONFIG} / ~/.kube/config
 * @param leaderElection null: this stc always scales (one replica)
 * @param fleet null: demand is this stc's own
 */
public record KubernetesConfig(
    String namespace, String deployment, String service, int port, Path kubeconfig,
    LeaderElection leaderElection, Fleet fleet) {
  public KubernetesConfig {
    Objects.requireNonNull(deployment);
    Objects.requireNonNull(service);
  }

  /**
   * A Kubernetes Lease that the stc replicas compete for; only its holder scales.
   *
   * @param namespace null: the provider's namespace
   */
  public record LeaderElection(
      String lease, String namespace, Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    public static final String DEFAULT_LEASE = "stc-leader";

    public static LeaderElection defaults() {
      return new LeaderElection(DEFAULT_LEASE, null, Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
    }
  }

  /** The stc replicas, found through the endpoints of their own Service, polled on their admin port. */
  public record Fleet(String service, int adminPort) {
    public static final int DEFAULT_ADMIN_PORT = 9090;
  }
}
