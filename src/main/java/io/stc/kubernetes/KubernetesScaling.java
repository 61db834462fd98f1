package io.stc.kubernetes;

import io.stc.config.KubernetesConfig;
import io.stc.scale.Autoscaler;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * Ties an autoscaler on the kubernetes provider to the other stc replicas: with
 * {@code leader_election}, only the Lease holder's autoscaler scales (the others keep their pools in
 * step with the EndpointSlices) and the provider is in charge only while it holds the Lease; with
 * {@code fleet}, the leader adds the other replicas' load to its own.
 */
public final class KubernetesScaling implements AutoCloseable {
  private final FleetStats fleet;
  private final LeaseLeadership leadership;

  private KubernetesScaling(FleetStats fleet, LeaseLeadership leadership) {
    this.fleet = fleet;
    this.leadership = leadership;
  }

  /**
   * Wires {@code autoscaler} (built on {@code provider}, not started yet) for its fleet; call
   * {@link #start()} after the autoscaler's own start.
   *
   * @param identity this replica's name: its pod name in a cluster
   * @param adminToken the bearer token of the replicas' admin API, or null
   */
  public static KubernetesScaling attach(
      Autoscaler autoscaler, KubernetesProvider provider, String identity, String adminToken, Duration interval) {
    KubernetesConfig k = provider.config();
    FleetStats fleet = null;
    if (k.fleet() != null) {
      fleet = new FleetStats(provider.client(), provider.namespace(), k.fleet(), identity, adminToken, interval);
      autoscaler.withFleet(fleet);
    }
    LeaseLeadership leadership = null;
    if (k.leaderElection() != null) {
      FleetStats f = fleet;
      provider.relinquish();
      autoscaler.setLeading(false);
      leadership = new LeaseLeadership(provider.client(), provider.namespace(), k.leaderElection(), identity,
          () -> {
            provider.takeCharge();
            if (f != null) {
              f.setActive(true);
            }
            autoscaler.setLeading(true);
          },
          () -> {
            autoscaler.setLeading(false);
            provider.relinquish();
            if (f != null) {
              f.setActive(false);
            }
          });
    }
    return new KubernetesScaling(fleet, leadership);
  }

  /** Starts following the fleet and competing for the lead. */
  public void start() {
    if (fleet != null) {
      fleet.start();
      if (leadership == null) {
        fleet.setActive(true);
      }
    }
    if (leadership != null) {
      leadership.start();
    }
  }

  /** This replica's name: {@code POD_NAME} (downward API), else {@code HOSTNAME} (the pod name by default), else the host name. */
  public static String identity() {
    for (String var : new String[] {"POD_NAME", "HOSTNAME"}) {
      String v = System.getenv(var);
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "stc-" + ProcessHandle.current().pid();
    }
  }

  /** Releases the Lease (when held) and stops polling the fleet; the autoscaler closes separately. */
  @Override
  public void close() {
    if (leadership != null) {
      leadership.close();
    }
    if (fleet != null) {
      fleet.close();
    }
  }
}
