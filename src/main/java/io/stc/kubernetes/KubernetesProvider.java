package io.stc.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.stc.config.KubernetesConfig;
import io.stc.kubernetes.EndpointWatch.PodEndpoint;
import io.stc.scale.Instance;
import io.stc.scale.InstanceProvider;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Instances are the pods of a Deployment, as the EndpointSlices of its Service list them: a ready
 * endpoint is a serving instance, a terminating one is leaving, a removed one is gone. The
 * ReplicaSet makes and replaces pods; this provider only sets the replica count (the scale
 * subresource) and, before lowering it, marks the pod stc has drained with a low
 * {@value #DELETION_COST} so that the ReplicaSet removes that pod and not a busy one.
 *
 * <p>{@link #start} asks for one more replica (or claims one already asked for) and hands over the
 * next pod that becomes ready; {@link #stop} marks the pod, lowers the count and completes once the
 * pod terminates. If the ReplicaSet removes another pod instead (it deletes not-ready pods first,
 * whatever their cost), the marked pod is unmarked and reported again after {@code stop_timeout}.
 *
 * <p>Several stc replicas may watch the same Deployment; only the one {@linkplain #takeCharge in
 * charge} changes it. API failures are logged and retried with backoff; none reaches the data plane.
 */
public final class KubernetesProvider implements InstanceProvider {
  private static final Logger log = LoggerFactory.getLogger(KubernetesProvider.class);
  /** Pods with a lower cost are deleted first by the ReplicaSet on a scale-down; unmarked pods cost 0. */
  public static final String DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";
  /** The cost stc gives the pod it has drained. */
  public static final int VICTIM_COST = -1000;
  private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(10);

  /** A start waiting for a pod to become ready. */
  private static final class Waiter {
    final CompletableFuture<Instance> started = new CompletableFuture<>();
    ScheduledFuture<?> timeout;
  }

  /** A drained pod on its way out. */
  private static final class Victim {
    final Instance instance;
    final CompletableFuture<Void> stopped = new CompletableFuture<>();
    ScheduledFuture<?> timeout;

    Victim(Instance instance) {
      this.instance = instance;
    }
  }

  private final KubernetesClient client;
  private final boolean ownsClient;
  private final String namespace;
  private final KubernetesConfig config;
  private final Duration startTimeout;
  private final Duration stopTimeout;
  private final ScheduledExecutorService executor;
  private final ReplicaScale scale;
  private final EndpointWatch endpoints;

  // All guarded by this.
  private final Map<String, Instance> serving = new LinkedHashMap<>();
  private final Map<String, Instance> leaving = new HashMap<>();
  private final Deque<Waiter> waiters = new ArrayDeque<>();
  private final Map<String, Victim> victims = new HashMap<>();
  private Map<String, PodEndpoint> seen = Map.of();
  private DiscoveryListener listener;
  private boolean inCharge = true;
  private int term;
  private CompletableFuture<Integer> charge;
  private int target = -1;
  private boolean closed;

  /**
   * A provider on {@code client}; {@code ownsClient} says whether {@link #close()} closes it.
   * Call {@link #open()} before use.
   *
   * @param namespace the namespace to use when {@code config} names none
   */
  public KubernetesProvider(
      KubernetesClient client, boolean ownsClient, String namespace, KubernetesConfig config,
      Duration startTimeout, Duration stopTimeout) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.namespace = config.namespace() != null ? config.namespace() : namespace;
    this.config = config;
    this.startTimeout = startTimeout;
    this.stopTimeout = stopTimeout;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stc-kubernetes");
      t.setDaemon(true);
      return t;
    });
    this.scale = new ReplicaScale(client, this.namespace, config.deployment(), executor);
    this.endpoints = new EndpointWatch(client, this.namespace, config.service(), this::onEndpoints);
  }

  /** Connects as {@code config} says (kubeconfig, else in-cluster, else ~/.kube/config) and opens the provider. */
  public static KubernetesProvider connect(KubernetesConfig config, Duration startTimeout, Duration stopTimeout) {
    KubernetesClient client = KubernetesConnection.open(config.kubeconfig());
    KubernetesProvider p = new KubernetesProvider(
        client, true, KubernetesConnection.namespaceOf(client), config, startTimeout, stopTimeout);
    return p.open();
  }

  /** Starts watching the EndpointSlices; waits a little for the first list, so the pods already there are found at once. */
  public KubernetesProvider open() {
    endpoints.start(SYNC_TIMEOUT);
    onEndpoints(endpoints.current());
    log.info("kubernetes provider: {}, pods from the EndpointSlices of service {}/{}, port {}: {} serving",
        scale.describe(), namespace, config.service(), config.port(), instances().size());
    return this;
  }

  public KubernetesClient client() {
    return client;
  }

  public String namespace() {
    return namespace;
  }

  public KubernetesConfig config() {
    return config;
  }

  @Override
  public String kind() {
    return "kubernetes";
  }

  @Override
  public boolean discovers() {
    return true;
  }

  @Override
  public synchronized void onDiscovery(DiscoveryListener l) {
    this.listener = l;
  }

  @Override
  public void onExit(ExitListener listener) {
    // Pods that end are reported through onDiscovery; the ReplicaSet replaces them.
  }

  @Override
  public synchronized List<Instance> instances() {
    return new ArrayList<>(serving.values());
  }

  /**
   * From now on this provider may change the Deployment: it reads the replica count afresh at its
   * first start or stop. Providers begin in charge; with leader election, only the leader is.
   */
  public synchronized void takeCharge() {
    if (!inCharge) {
      inCharge = true;
      term++;
      charge = null;
      target = -1;
    }
  }

  /**
   * Stops changing the Deployment (another stc leads): starts still waiting fail, pods being
   * stopped are unmarked and reported again, and writes not yet landed are dropped.
   */
  public void relinquish() {
    List<Victim> back;
    synchronized (this) {
      if (!inCharge) {
        return;
      }
      inCharge = false;
      term++;
      charge = null;
      target = -1;
      failWaiters("another stc leads now");
      back = new ArrayList<>(victims.values());
      victims.clear();
    }
    for (Victim v : back) {
      putBack(v, "another stc leads now");
    }
  }

  /** Whether this provider may change the Deployment now. */
  public synchronized boolean inCharge() {
    return inCharge && !closed;
  }

  @Override
  public CompletableFuture<Instance> start(String name) {
    Waiter w = new Waiter();
    int t;
    synchronized (this) {
      if (!inCharge()) {
        return CompletableFuture.failedFuture(new IllegalStateException("not in charge of " + scale.describe()));
      }
      t = term;
      // Waiting from now on, so that a pod becoming ready while the replica count is read goes to this start.
      waiters.add(w);
      w.timeout = executor.schedule(() -> expire(w), startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    charged(t).whenComplete((replicas, error) -> {
      if (error != null) {
        fail(w, error);
      } else {
        ask(w, t);
      }
    });
    return w.started;
  }

  /** Asks for one more replica for {@code w}, unless one asked for earlier (and not yet serving) can be its. */
  private synchronized void ask(Waiter w, int t) {
    if (w.started.isDone() || !inTerm(t)) {
      return;
    }
    if (target >= serving.size() + waiters.size()) {
      log.debug("{}: a replica asked for earlier is on its way", scale.describe());
    } else {
      target++;
      scale.write(target, () -> inTerm(t));
    }
  }

  private synchronized void fail(Waiter w, Throwable error) {
    if (waiters.remove(w)) {
      w.timeout.cancel(false);
      w.started.completeExceptionally(error);
    }
  }

  private synchronized void expire(Waiter w) {
    if (waiters.remove(w)) {
      // The replica stays asked for: a later start claims it rather than asking for another.
      w.started.completeExceptionally(new TimeoutException(
          "no new pod of " + scale.describe() + " became ready within start_timeout " + startTimeout.toMillis() + " ms"));
    }
  }

  @Override
  public CompletableFuture<Void> stop(Instance instance) {
    Victim v = new Victim(instance);
    int t;
    synchronized (this) {
      if (!inCharge()) {
        return CompletableFuture.failedFuture(new IllegalStateException("not in charge of " + scale.describe()));
      }
      t = term;
      serving.remove(instance.name());
      victims.put(instance.name(), v);
    }
    String pod = "pod " + namespace + "/" + instance.name();
    charged(t)
        .thenCompose(replicas -> ApiRetry.call(executor, "mark " + pod + " with " + DELETION_COST + "=" + VICTIM_COST,
            () -> annotate(instance.name(), Integer.toString(VICTIM_COST)),
            () -> inTerm(t) && isVictim(v), stopTimeout))
        .whenComplete((marked, error) -> {
          if (error != null && forget(v)) {
            putBack(v, "could not mark it for deletion: " + ApiFailure.describe(error));
          } else {
            // Marked, or it left on its own meanwhile: either way one replica fewer is wanted.
            lower(v, t);
          }
        });
    return v.stopped;
  }

  private synchronized void lower(Victim v, int t) {
    if (!inTerm(t)) {
      return;
    }
    target = Math.max(0, target - 1);
    scale.write(target, () -> inTerm(t));
    if (victims.get(v.instance.name()) != v) {
      return;
    }
    PodEndpoint now = seen.get(v.instance.name());
    if (now == null || now.terminating()) {
      victimLeft(v.instance.name());
      return;
    }
    v.timeout = executor.schedule(() -> {
      if (forget(v)) {
        putBack(v, "the ReplicaSet removed another pod within stop_timeout " + stopTimeout.toMillis() + " ms");
      }
    }, stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Removes {@code v} from the victims if it still is one; true when it was. */
  private synchronized boolean forget(Victim v) {
    return victims.remove(v.instance.name(), v);
  }

  private synchronized boolean isVictim(Victim v) {
    return victims.get(v.instance.name()) == v;
  }

  /** A pod that was to go stays: its stop completes, its mark is taken off, and if it still serves it is reported again. */
  private void putBack(Victim v, String why) {
    if (v.timeout != null) {
      v.timeout.cancel(false);
    }
    log.warn("pod {}/{} stays: {}", namespace, v.instance.name(), why);
    v.stopped.complete(null);
    synchronized (this) {
      PodEndpoint now = seen.get(v.instance.name());
      if (now != null && now.serving() && !closed) {
        announce(v.instance);
      }
    }
    String pod = "pod " + namespace + "/" + v.instance.name();
    ApiRetry.call(executor, "remove " + DELETION_COST + " from " + pod, () -> annotate(v.instance.name(), null),
        () -> !closed, stopTimeout);
  }

  private synchronized void victimLeft(String pod) {
    Victim v = victims.remove(pod);
    if (v != null) {
      if (v.timeout != null) {
        v.timeout.cancel(false);
      }
      v.stopped.complete(null);
    }
  }

  private Object annotate(String pod, String value) {
    String json = value == null
        ? "{\"metadata\":{\"annotations\":{\"" + DELETION_COST + "\":null}}}"
        : "{\"metadata\":{\"annotations\":{\"" + DELETION_COST + "\":\"" + value + "\"}}}";
    return client.pods().inNamespace(namespace).withName(pod).patch(PatchContext.of(PatchType.JSON_MERGE), json);
  }

  /** The replica count for term {@code t}, read once per term. */
  private synchronized CompletableFuture<Integer> charged(int t) {
    if (term != t) {
      return CompletableFuture.failedFuture(new IllegalStateException("no longer in charge of " + scale.describe()));
    }
    if (charge == null || charge.isCompletedExceptionally()) {
      charge = scale.read(() -> inTerm(t)).thenApply(replicas -> {
        synchronized (this) {
          if (term == t && target < 0) {
            target = replicas;
            log.info("{} has {} replicas; {} of them serving", scale.describe(), replicas, serving.size());
          }
        }
        return replicas;
      });
    }
    return charge;
  }

  private synchronized boolean inTerm(int t) {
    return term == t && inCharge && !closed;
  }

  /** The slices changed: new serving pods are handed out, terminating ones leave, vanished ones are gone. */
  private synchronized void onEndpoints(Map<String, PodEndpoint> now) {
    if (closed) {
      return;
    }
    seen = now;
    for (PodEndpoint e : now.values()) {
      String pod = e.pod();
      if (victims.containsKey(pod)) {
        if (e.terminating()) {
          victimLeft(pod);
        }
      } else if (e.serving() && !serving.containsKey(pod) && !leaving.containsKey(pod)) {
        announce(new Instance(pod, e.address(), config.port()));
      } else if (e.terminating() && serving.containsKey(pod)) {
        Instance i = serving.remove(pod);
        leaving.put(pod, i);
        if (listener != null) {
          listener.leaving(i, "pod terminating");
        }
      }
    }
    for (String pod : List.copyOf(serving.keySet())) {
      if (!now.containsKey(pod)) {
        Instance i = serving.remove(pod);
        if (listener != null) {
          listener.gone(i, "pod gone without terminating first");
        }
      }
    }
    for (String pod : List.copyOf(leaving.keySet())) {
      if (!now.containsKey(pod)) {
        Instance i = leaving.remove(pod);
        if (listener != null) {
          listener.gone(i, "pod gone");
        }
      }
    }
    for (String pod : List.copyOf(victims.keySet())) {
      if (!now.containsKey(pod)) {
        victimLeft(pod);
      }
    }
  }

  /** A serving pod goes to the oldest start waiting for one, or is reported as having appeared. */
  private void announce(Instance i) {
    serving.put(i.name(), i);
    Waiter w = waiters.poll();
    if (w != null) {
      w.timeout.cancel(false);
      w.started.complete(i);
    } else if (listener != null) {
      listener.appeared(i);
    }
  }

  private void failWaiters(String why) {
    for (Waiter w : waiters) {
      w.timeout.cancel(false);
      w.started.completeExceptionally(new IllegalStateException(why));
    }
    waiters.clear();
  }

  /** Stops watching and changing; the pods stay as they are (the ReplicaSet owns them). */
  @Override
  public void close() {
    List<Victim> pending;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      failWaiters("stc is closing");
      pending = new ArrayList<>(victims.values());
      victims.clear();
    }
    for (Victim v : pending) {
      v.stopped.complete(null);
    }
    endpoints.close();
    executor.shutdownNow();
    if (ownsClient) {
      client.close();
    }
  }
}
