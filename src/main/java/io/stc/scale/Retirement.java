package io.stc.scale;

import static io.stc.scale.Decision.seconds;

import io.stc.Clock;
import io.stc.config.AutoscaleConfig;
import io.stc.pool.BackendState;
import io.stc.pool.Upstream;
import io.stc.scale.ManagedInstance.Phase;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;

/**
 * How managed instances leave: which one a scale-down takes, draining it until its requests are
 * done (up to {@code drain_timeout}), and taking it out of the pool and stopping it. Used on the
 * autoscaler's thread.
 */
final class Retirement {
  private static final Logger log = Autoscaler.log;
  /** Drain polls in a row that must see nothing in flight, so a request picked just before DRAINING is not cut. */
  private static final int IDLE_CHECKS_TO_STOP = 2;

  private final AutoscaleConfig config;
  private final Upstream upstream;
  private final InstanceProvider provider;
  private final Clock clock;
  private final ManagedInstances instances;
  private final ScaleEvents events;
  private final AutoscalerLoop loop;
  private final BooleanSupplier leading;
  private final ToIntFunction<ManagedInstance> busy;

  /**
   * @param leading whether this autoscaler stops instances, or leaves that to the stc that leads
   * @param busy what removing an instance would disturb beyond a drain: sticky sessions, this stc's
   *     and the fleet's (whose count includes the other replicas' requests in flight)
   */
  Retirement(
      AutoscaleConfig config, Upstream upstream, InstanceProvider provider, Clock clock, ManagedInstances instances,
      ScaleEvents events, AutoscalerLoop loop, BooleanSupplier leading,
      ToIntFunction<ManagedInstance> busy) {
    this.config = config;
    this.upstream = upstream;
    this.provider = provider;
    this.clock = clock;
    this.instances = instances;
    this.events = events;
    this.loop = loop;
    this.leading = leading;
    this.busy = busy;
  }

  /** Takes an instance out of the pool and stops it; {@code kind} and {@code why} are told once it is gone. */
  void retire(ManagedInstance m, ScaleEvent.Kind kind, String why) {
    m.phase(Phase.STOPPING, clock.nanos());
    m.leavePool(upstream);
    if (m.instance == null) {
      // Still starting: Launcher.onStarted() stops it when the provider hands it over.
      return;
    }
    if (m.leaving || (provider.discovers() && !leading.getAsBoolean())) {
      // Going away on its own, or someone else's to stop: out of this pool is all there is to do.
      instances.remove(m);
      events.emit(kind, m.name(), why);
      events.publishStatus();
      return;
    }
    CompletableFuture<Void> stopped;
    try {
      stopped = provider.stop(m.instance);
    } catch (RuntimeException e) {
      stopped = CompletableFuture.failedFuture(e);
    }
    stopped.whenComplete((v, error) -> loop.execute(() -> {
      instances.remove(m);
      events.emit(kind, m.name(), why + (error == null ? "" : "; stopping it failed: " + ScaleEvents.message(error)));
      events.publishStatus();
    }));
  }

  /** Out of the pool and forgotten at once, for an instance that went away by itself: there is nothing to stop. */
  void drop(ManagedInstance m) {
    m.admitted.complete(false);
    m.phase(Phase.STOPPING, clock.nanos());
    m.leavePool(upstream);
    instances.remove(m);
  }

  /** Takes a serving instance out of rotation; {@link #checkDrains} stops it once its requests are done. */
  void drain(ManagedInstance m, long now, String why) {
    m.phase(Phase.DRAINING, now);
    m.idleChecks = 0;
    upstream.setState(m.backend, BackendState.DRAINING, why);
  }

  void checkDrains() {
    long now = clock.nanos();
    for (ManagedInstance m : instances.snapshot()) {
      if (m.phase != Phase.DRAINING) {
        continue;
      }
      int inFlight = m.backend.stats().inFlight();
      if (inFlight == 0) {
        if (++m.idleChecks >= IDLE_CHECKS_TO_STOP) {
          retire(m, ScaleEvent.Kind.STOPPED, "drained in " + seconds(now - m.phaseSinceNanos));
        }
      } else {
        m.idleChecks = 0;
        if (now - m.phaseSinceNanos >= config.drainTimeout().toNanos()) {
          retire(m, ScaleEvent.Kind.STOPPED, "drain_timeout " + seconds(config.drainTimeout().toNanos())
              + " passed with " + inFlight + " request(s) still in flight");
        }
      }
    }
  }

  /** Takes {@code surplus} instances out, each time the cheapest to lose; {@code reason} is the policy's. */
  void scaleDown(int surplus, String reason, long now) {
    for (int i = 0; i < surplus; i++) {
      ManagedInstance victim = pickVictim();
      if (victim == null) {
        return;
      }
      Phase was = victim.phase;
      victim.admitted.complete(false);
      if (victim.waiting) {
        // Never started, so never announced: it just leaves the queue.
        victim.waiting = false;
        instances.remove(victim);
        log.debug("{} no longer wanted before it had a start slot: {}", victim.slot, reason);
      } else if (was == Phase.STARTING) {
        victim.phase(Phase.STOPPING, now);
        events.emit(ScaleEvent.Kind.SCALED_DOWN, victim.name(), reason + " (cancelled while starting)");
      } else if (was == Phase.WARMING || victim.sick()) {
        String state = was == Phase.WARMING ? "not in rotation yet" : "failing health checks";
        retire(victim, ScaleEvent.Kind.STOPPED, "stopped without draining: it was " + state);
        events.emit(ScaleEvent.Kind.SCALED_DOWN, victim.name(), reason + " (" + state + ")");
      } else {
        drain(victim, now, "autoscaler scale-down");
        events.emit(ScaleEvent.Kind.SCALED_DOWN, victim.name(),
            reason + " (draining " + victim.backend.stats().inFlight() + " in flight)");
      }
    }
  }

  /**
   * The cheapest instance to lose: one still starting, then one not in rotation, then an outdated
   * one (whose replacement serves first), then of the
   * ready ones the one with the fewest sticky sessions, the slowest of equals (by its mean
   * latency), the one with the fewest requests in flight of those. Speed before requests in flight,
   * which only take a drain: under a balancer by outstanding requests the fast instances have the
   * fewest in flight, so counting those first would shed the fastest instances and leave a pool of
   * the slowest, paying more instance-seconds for a worse p99.
   */
  private ManagedInstance pickVictim() {
    List<ManagedInstance> all = instances.snapshot();
    // One that finished nothing yet is taken to be as fast as the others are on average: unknown is not fast.
    double known = 0;
    int counted = 0;
    for (ManagedInstance m : all) {
      double mean = m.ready() ? m.backend.stats().averageLatencyNanos() : 0;
      if (mean > 0) {
        known += mean;
        counted++;
      }
    }
    double typical = counted == 0 ? 0 : known / counted;
    ToDoubleFunction<ManagedInstance> slowness = m -> {
      double mean = m.backend.stats().averageLatencyNanos();
      return mean > 0 ? mean : typical;
    };
    return VictimChoice.pick(
        all,
        List.of(m -> m.phase == Phase.STARTING, m -> m.phase == Phase.WARMING, ManagedInstance::sick,
            m -> m.outdated && m.ready() && m.replacement != null && m.replacement.ready(), m -> m.outdated && m.ready()),
        ManagedInstance::ready,
        Comparator.comparingInt(busy)
            .thenComparing(Comparator.comparingDouble(slowness).reversed())
            .thenComparingInt(m -> m.backend.stats().inFlight()));
  }
}
