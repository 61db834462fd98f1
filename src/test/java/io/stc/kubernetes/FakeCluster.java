package io.stc.kubernetes;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.stc.config.KubernetesConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The objects of a cluster in fabric8's mock API server, with the test playing the controllers:
 * it creates pods and lists them in an EndpointSlice as the ReplicaSet and the EndpointSlice
 * controller would.
 */
public final class FakeCluster {
  public static final String NAMESPACE = "shop";
  public static final String DEPLOYMENT = "web";
  public static final int PORT = 8080;

  /** A pod as its EndpointSlice shows it. */
  public record Pod(String name, String ip, boolean ready, boolean isTerminating) {
    public static Pod ready(String name, String ip) {
      return new Pod(name, ip, true, false);
    }

    public Pod notReady() {
      return new Pod(name, ip, false, false);
    }

    public Pod terminating() {
      return new Pod(name, ip, false, true);
    }
  }

  public final KubernetesClient client;

  public FakeCluster(KubernetesClient client) {
    this.client = client;
  }

  /** The provider's view of {@code web} in {@code shop}, port 8080. */
  public static KubernetesConfig target() {
    return new KubernetesConfig(NAMESPACE, DEPLOYMENT, DEPLOYMENT, PORT, null, null, null);
  }

  /** A provider on a client of its own (stc's timeouts, no client-side retries), opened. */
  public KubernetesProvider provider(KubernetesConfig config, Duration startTimeout, Duration stopTimeout) {
    return new KubernetesProvider(KubernetesConnection.open(client.getConfiguration()), true, NAMESPACE, config,
        startTimeout, stopTimeout).open();
  }

  public void deployment(int replicas) {
    client.apps().deployments().inNamespace(NAMESPACE).resource(new DeploymentBuilder()
        .withNewMetadata().withName(DEPLOYMENT).withNamespace(NAMESPACE).endMetadata()
        .withNewSpec().withReplicas(replicas)
        .withNewSelector().withMatchLabels(Map.of("app", DEPLOYMENT)).endSelector()
        .endSpec()
        .build()).create();
  }

  public void deleteDeployment() {
    client.apps().deployments().inNamespace(NAMESPACE).withName(DEPLOYMENT).delete();
  }

  /** The Deployment's desired replicas, or null when there is no Deployment. */
  public Integer replicas() {
    var d = client.apps().deployments().inNamespace(NAMESPACE).withName(DEPLOYMENT).get();
    return d == null ? null : d.getSpec().getReplicas();
  }

  public void pods(String... names) {
    for (String name : names) {
      client.pods().inNamespace(NAMESPACE).resource(new PodBuilder()
          .withNewMetadata().withName(name).withNamespace(NAMESPACE).addToLabels("app", DEPLOYMENT).endMetadata()
          .build()).create();
    }
  }

  /** The pod's deletion cost annotation, or null. */
  public String deletionCost(String pod) {
    var p = client.pods().inNamespace(NAMESPACE).withName(pod).get();
    Map<String, String> a = p.getMetadata().getAnnotations();
    return a == null ? null : a.get(KubernetesProvider.DELETION_COST);
  }

  /** Replaces the service's one EndpointSlice with these pods. */
  public void endpoints(String service, Pod... pods) {
    List<Endpoint> list = new ArrayList<>();
    for (Pod p : pods) {
      list.add(new EndpointBuilder()
          .withAddresses(p.ip())
          .withNewConditions().withReady(p.ready()).withServing(p.ready() || p.isTerminating())
          .withTerminating(p.isTerminating()).endConditions()
          .withNewTargetRef().withKind("Pod").withName(p.name()).withNamespace(NAMESPACE).endTargetRef()
          .build());
    }
    client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(new EndpointSliceBuilder()
        .withNewMetadata().withName(service + "-abcde").withNamespace(NAMESPACE)
        .addToLabels(EndpointWatch.SERVICE_LABEL, service).endMetadata()
        .withAddressType("IPv4")
        .withEndpoints(list)
        .addNewPort().withName("http").withPort(PORT).withProtocol("TCP").endPort()
        .build()).createOr(existing -> existing.update());
  }

  public void endpoints(Pod... pods) {
    endpoints(DEPLOYMENT, pods);
  }
}
