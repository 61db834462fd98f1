package io.stc.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens the API client: from a kubeconfig file when one is configured, else as fabric8 finds it
 * (the pod's service account in a cluster, else {@code KUBECONFIG} or ~/.kube/config). The HTTP
 * transport is the JDK's HttpClient. The client's own request retries are off: stc retries with
 * its own backoff and logs each failure with the object it concerns.
 */
public final class KubernetesConnection {
  static final int CONNECT_TIMEOUT_MILLIS = 5_000;
  static final int REQUEST_TIMEOUT_MILLIS = 10_000;

  private KubernetesConnection() {}

  /** A client for {@code kubeconfig} (null: automatic); IllegalStateException with a clear message when unusable. */
  public static KubernetesClient open(Path kubeconfig) {
    Config config;
    try {
      config = kubeconfig == null ? Config.autoConfigure(null) : Config.fromKubeconfig(Files.readString(kubeconfig));
    } catch (IOException | KubernetesClientException e) {
      throw new IllegalStateException("kubeconfig " + kubeconfig + ": " + ApiFailure.describe(e), e);
    }
    return open(config);
  }

  /** A client for {@code config}, with stc's timeouts and without the client's own retries. */
  public static KubernetesClient open(Config config) {
    Config tuned = new ConfigBuilder(config)
        .withConnectionTimeout(CONNECT_TIMEOUT_MILLIS)
        .withRequestTimeout(REQUEST_TIMEOUT_MILLIS)
        .withRequestRetryBackoffLimit(0)
        .build();
    return new KubernetesClientBuilder().withConfig(tuned).build();
  }

  /** The client's namespace (in a cluster: the pod's own), or {@code default}. */
  public static String namespaceOf(KubernetesClient client) {
    String ns = client.getNamespace();
    return ns == null || ns.isBlank() ? "default" : ns;
  }
}
