package io.stc.kubernetes;

import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.autoscaling.v1.ScaleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.RollableScalableResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Deployment's replica count, through its scale subresource only (so stc needs no access to
 * the Deployment itself): {@code get} and {@code update}. Writes are absolute and coalesced: only
 * the latest wanted count is sent, retried with backoff until it lands, so a flaky API server
 * delays a scale but never garbles it.
 */
final class ReplicaScale {
  private static final Logger log = LoggerFactory.getLogger(ReplicaScale.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String deployment;
  private final ScheduledExecutorService executor;
  private int pending = -1;
  private BooleanSupplier pendingWanted = () -> false;
  private boolean writing;

  ReplicaScale(KubernetesClient client, String namespace, String deployment, ScheduledExecutorService executor) {
    this.client = client;
    this.namespace = namespace;
    this.deployment = deployment;
    this.executor = executor;
  }

  String describe() {
    return "deployment " + namespace + "/" + deployment;
  }

  /** The Deployment's desired replicas (spec), read until it can be or until no longer {@code wanted}. */
  CompletableFuture<Integer> read(BooleanSupplier wanted) {
    return ApiRetry.call(executor, "read the scale of " + describe(), () -> {
      Scale s = resource().scale();
      if (s == null) {
        throw new IllegalStateException("no scale subresource");
      }
      return s.getSpec() == null || s.getSpec().getReplicas() == null ? 0 : s.getSpec().getReplicas();
    }, wanted);
  }

  /** Sets the replica count; a later call replaces an earlier one still waiting to be written. */
  synchronized void write(int replicas, BooleanSupplier wanted) {
    pending = replicas;
    pendingWanted = wanted;
    if (!writing) {
      writing = true;
      flush();
    }
  }

  private synchronized void flush() {
    int replicas = pending;
    BooleanSupplier wanted = pendingWanted;
    ApiRetry.call(executor, "scale " + describe() + " to " + replicas, () -> {
      // Read, change, replace: the resourceVersion read makes a concurrent change a conflict (409),
      // retried on a fresh read, rather than a silent overwrite of something newer.
      Scale current = resource().scale();
      if (current == null) {
        throw new IllegalStateException("no scale subresource");
      }
      Scale wantedScale = new ScaleBuilder(current).editOrNewSpec().withReplicas(replicas).endSpec().build();
      return resource().scale(wantedScale);
    }, () -> wanted.getAsBoolean() && stillPending(replicas)).whenComplete((s, error) -> landed(replicas, error));
  }

  private synchronized boolean stillPending(int replicas) {
    return pending == replicas;
  }

  private synchronized void landed(int replicas, Throwable error) {
    if (error == null) {
      log.info("{}: replicas set to {}", describe(), replicas);
    }
    if (pending != replicas && pendingWanted.getAsBoolean()) {
      flush();
    } else {
      writing = false;
    }
  }

  private RollableScalableResource<Deployment> resource() {
    return client.apps().deployments().inNamespace(namespace).withName(deployment);
  }
}
