package io.stc.kubernetes;

import java.util.List;

/**
 * Every Kubernetes API call stc makes, as RBAC rules: the single list that the code keeps to and
 * that the Role in {@code deploy/kubernetes/rbac.yaml} must grant, no more (a test compares them).
 */
public final class KubernetesAccess {
  /** One resource and the verbs stc uses on it; {@code apiGroup} is "" for the core group. */
  public record Rule(String apiGroup, String resource, List<String> verbs) {
    public Rule {
      verbs = List.copyOf(verbs);
    }
  }

  /** EndpointSlices, through an informer: the Deployment's pods and the stc replicas. */
  public static final Rule ENDPOINT_SLICES = new Rule("discovery.k8s.io", "endpointslices", List.of("list", "watch"));
  /** The Deployment's scale subresource: read once when taking charge, then replaced with the desired count. */
  public static final Rule DEPLOYMENT_SCALE = new Rule("apps", "deployments/scale", List.of("get", "update"));
  /** The pod-deletion-cost annotation on the pod a scale-down has drained. */
  public static final Rule PODS = new Rule("", "pods", List.of("patch"));
  /** The leader election's Lease: read, created when missing, renewed. */
  public static final Rule LEASES = new Rule("coordination.k8s.io", "leases", List.of("get", "create", "update"));

  public static final List<Rule> RULES = List.of(ENDPOINT_SLICES, DEPLOYMENT_SCALE, PODS, LEASES);

  private KubernetesAccess() {}
}
