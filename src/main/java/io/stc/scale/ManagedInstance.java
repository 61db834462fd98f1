package io.stc.scale;

import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Upstream;
import java.util.concurrent.CompletableFuture;

/** One instance the autoscaler started or adopted from a discovering provider, through its lifecycle. Touched only on the autoscaler's thread. */
final class ManagedInstance {
  /** Where the instance is in its life. */
  enum Phase {
    /** The provider is starting it. */
    STARTING,
    /** In the pool, waiting for its first passing health check. */
    WARMING,
    /** Has been in rotation (it may be DOWN now, failing its checks). */
    ACTIVE,
    /** No new requests; waiting for its in-flight ones to finish. */
    DRAINING,
    /** Out of the pool; the provider is stopping it. */
    STOPPING
  }

  final String slot;
  final long createdNanos;
  /** Completes true once the instance is in rotation, false when it never will be. */
  final CompletableFuture<Boolean> admitted = new CompletableFuture<>();
  Phase phase = Phase.STARTING;
  long phaseSinceNanos;
  Instance instance;
  Backend backend;
  /** Consecutive drain checks that saw no request in flight. */
  int idleChecks;
  /** A discovering provider reported it going away on its own: there is nothing to stop. */
  boolean leaving;
  /** Started by this autoscaler (not found): its time from the start request to rotation is a start-up time. */
  boolean launched;
  /** Asked for but not started yet: the provider has as many starting as it may (still {@link Phase#STARTING}). */
  boolean waiting;
  /** When the provider was asked to start it: {@code createdNanos} unless it waited for a start slot. */
  long launchedNanos;
  /** Why the autoscaler asked for it (started by this autoscaler only). */
  String reason;
  /** Made from what the provider no longer makes (handed over by an stc before an upgrade): replaced in turn. */
  boolean outdated;
  /** The instance started to replace this outdated one, once asked for. */
  ManagedInstance replacement;

  ManagedInstance(String slot, long nowNanos) {
    this.slot = slot;
    this.createdNanos = nowNanos;
    this.phaseSinceNanos = nowNanos;
  }

  void phase(Phase p, long nowNanos) {
    phase = p;
    phaseSinceNanos = nowNanos;
  }

  String name() {
    return instance != null ? instance.name() : slot;
  }

  boolean ready() {
    return phase == Phase.ACTIVE && backend.state() == BackendState.UP;
  }

  boolean pending() {
    return phase == Phase.STARTING || phase == Phase.WARMING;
  }

  /** Was in rotation but is now out of it (failing health checks). */
  boolean sick() {
    return phase == Phase.ACTIVE && backend.state() != BackendState.UP;
  }

  /** Takes its backend out of the pool, unless it never got there or has left already. */
  void leavePool(Upstream upstream) {
    if (backend != null && !backend.isRemoved()) {
      upstream.remove(backend.id());
    }
  }
}
