package io.stc.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the pods behind one Service through its EndpointSlices (the slices labelled
 * {@code kubernetes.io/service-name: <service>}), merged into one view by pod name. An informer
 * lists, then watches, and reconnects on its own with backoff when the API server goes away.
 */
final class EndpointWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EndpointWatch.class);
  static final String SERVICE_LABEL = "kubernetes.io/service-name";

  /**
   * One pod as the slices show it. Conditions follow the EndpointSlice API: an unset {@code ready}
   * counts as ready, an unset {@code terminating} as not terminating.
   */
  record PodEndpoint(String pod, String address, boolean ready, boolean terminating) {
    boolean serving() {
      return ready && !terminating;
    }
  }

  private final String description;
  private final SharedIndexInformer<EndpointSlice> informer;
  private final Consumer<Map<String, PodEndpoint>> onChange;

  /** {@code onChange} gets the whole merged view after each change, on the informer's thread. */
  EndpointWatch(KubernetesClient client, String namespace, String service, Consumer<Map<String, PodEndpoint>> onChange) {
    this.description = "EndpointSlices of service " + namespace + "/" + service;
    this.onChange = onChange;
    this.informer = client.discovery().v1().endpointSlices().inNamespace(namespace)
        .withLabel(SERVICE_LABEL, service)
        .runnableInformer(0);
    informer.exceptionHandler((started, t) -> {
      log.warn("watching {}: {}; retrying", description, ApiFailure.describe(t));
      return true;
    });
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(EndpointSlice slice) {
        changed();
      }

      @Override
      public void onUpdate(EndpointSlice before, EndpointSlice after) {
        changed();
      }

      @Override
      public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
        changed();
      }
    });
  }

  /** Starts watching; waits up to {@code syncTimeout} for the first complete list, and goes on trying after that. */
  void start(Duration syncTimeout) {
    try {
      informer.start().toCompletableFuture().get(syncTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("no complete list of {} within {} ms; going on without, still trying", description, syncTimeout.toMillis());
    } catch (ExecutionException e) {
      log.warn("listing {}: {}; still trying", description, ApiFailure.describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The pods the slices list now, by name. */
  Map<String, PodEndpoint> current() {
    return merge(informer.getStore().list());
  }

  private void changed() {
    try {
      onChange.accept(current());
    } catch (RuntimeException e) {
      log.error("handling a change of {} failed", description, e);
    }
  }

  /**
   * One entry per pod. A pod can show up in two slices for a moment (while the controller moves it)
   * or in an IPv4 and an IPv6 slice: the serving entry wins, then IPv4. Endpoints that are not
   * pods (FQDN slices, manual endpoints) are not instances stc can scale, and are left out.
   */
  static Map<String, PodEndpoint> merge(List<EndpointSlice> slices) {
    Map<String, PodEndpoint> pods = new LinkedHashMap<>();
    List<EndpointSlice> ordered = slices.stream()
        .filter(s -> "IPv4".equals(s.getAddressType()) || "IPv6".equals(s.getAddressType()))
        .sorted(Comparator.comparing((EndpointSlice s) -> !"IPv4".equals(s.getAddressType()))
            .thenComparing(s -> s.getMetadata().getName()))
        .toList();
    for (EndpointSlice slice : ordered) {
      if (slice.getEndpoints() == null) {
        continue;
      }
      for (Endpoint e : slice.getEndpoints()) {
        ObjectReference ref = e.getTargetRef();
        if (ref == null || !"Pod".equals(ref.getKind()) || ref.getName() == null
            || e.getAddresses() == null || e.getAddresses().isEmpty()) {
          continue;
        }
        EndpointConditions c = e.getConditions();
        boolean ready = c == null || c.getReady() == null || c.getReady();
        boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
        PodEndpoint p = new PodEndpoint(ref.getName(), e.getAddresses().get(0), ready, terminating);
        PodEndpoint before = pods.get(p.pod());
        if (before == null || (!before.serving() && p.serving())) {
          pods.put(p.pod(), p);
        }
      }
    }
    return pods;
  }

  @Override
  public void close() {
    informer.close();
  }
}
