package io.stc.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.stc.config.KubernetesConfig.LeaderElection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Competes for a Kubernetes Lease with the other stc replicas (fabric8's LeaderElector): the
 * holder leads until it fails to renew within {@code renew_deadline}; when it dies, another takes
 * over once {@code lease_duration} has passed since its last renewal; when it closes, it releases
 * the Lease at once. A replica that lost the lead competes again.
 */
public final class LeaseLeadership implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseLeadership.class);

  private final KubernetesClient client;
  private final String namespace;
  private final LeaderElection config;
  private final String identity;
  private final Runnable onStart;
  private final Runnable onStop;
  private final ScheduledExecutorService restarts;
  private boolean leading;
  private boolean closed;
  private CompletableFuture<?> round;

  /**
   * @param identity this replica's name in the Lease (its pod name)
   * @param onStart called when this replica becomes the leader
   * @param onStop called when it stops being the leader (lost, or closing)
   */
  public LeaseLeadership(
      KubernetesClient client, String namespace, LeaderElection config, String identity, Runnable onStart, Runnable onStop) {
    this.client = client;
    this.namespace = config.namespace() != null ? config.namespace() : namespace;
    this.config = config;
    this.identity = identity;
    this.onStart = onStart;
    this.onStop = onStop;
    this.restarts = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stc-leader-election");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts competing; returns at once. */
  public synchronized void start() {
    log.info("leader election: {} competes for lease {}/{} (lease {} ms, renew deadline {} ms, retry {} ms)",
        identity, namespace, config.lease(), config.leaseDuration().toMillis(), config.renewDeadline().toMillis(),
        config.retryPeriod().toMillis());
    compete();
  }

  private synchronized void compete() {
    if (closed) {
      return;
    }
    // An elector stops for good once it has lost the lead, so each round takes a new one.
    LeaderElector elector = client.leaderElector()
        .withConfig(new LeaderElectionConfigBuilder()
            .withName("stc")
            .withLock(new LeaseLock(namespace, config.lease(), identity))
            .withLeaseDuration(config.leaseDuration())
            .withRenewDeadline(config.renewDeadline())
            .withRetryPeriod(config.retryPeriod())
            .withReleaseOnCancel(true)
            .withLeaderCallbacks(new LeaderCallbacks(this::started, this::stopped, this::newLeader))
            .build())
        .build();
    CompletableFuture<?> r = elector.start();
    round = r;
    r.whenComplete((v, error) -> {
      if (error != null && !r.isCancelled()) {
        log.warn("leader election on lease {}/{}: {}", namespace, config.lease(), ApiFailure.describe(error));
      }
      stopped();
      try {
        restarts.schedule(this::compete, config.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // closed
      }
    });
  }

  private void started() {
    synchronized (this) {
      if (leading || closed) {
        return;
      }
      leading = true;
    }
    log.info("{} now leads (lease {}/{})", identity, namespace, config.lease());
    onStart.run();
  }

  // The elector may report the loss twice (when it sees another holder, and when its loop ends).
  private void stopped() {
    synchronized (this) {
      if (!leading) {
        return;
      }
      leading = false;
    }
    log.info("{} no longer leads (lease {}/{})", identity, namespace, config.lease());
    onStop.run();
  }

  private void newLeader(String holder) {
    if (holder != null && !holder.equals(identity)) {
      log.info("lease {}/{} is held by {}", namespace, config.lease(), holder);
    }
  }

  /** Stops competing and, when leading, releases the Lease so another replica takes over at once. */
  @Override
  public void close() {
    CompletableFuture<?> r;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      r = round;
    }
    restarts.shutdownNow();
    if (r != null) {
      r.cancel(true);
    }
    stopped();
  }
}
