package io.stc.scale;

import static io.stc.scale.Decision.seconds;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.PoolEvent;
import io.stc.pool.Upstream;
import io.stc.scale.ManagedInstance.Phase;
import java.util.function.LongConsumer;

/**
 * How an instance the autoscaler started or found comes into rotation: it joins the pool (DOWN
 * when health checked, so it warms up out of rotation) and is admitted at its first passing check.
 * Used on the autoscaler's thread.
 */
final class Admission {
  private final Upstream upstream;
  private final BackendState joinState;
  private final Clock clock;
  private final ManagedInstances instances;
  private final ScaleEvents events;
  private final AutoscalerLoop loop;
  private final LongConsumer startup;

  /**
   * @param healthChecked whether a health checker admits new instances; without one they join UP
   * @param startup told how long each instance the autoscaler started took to come into rotation
   */
  Admission(
      Upstream upstream, boolean healthChecked, Clock clock, ManagedInstances instances, ScaleEvents events,
      AutoscalerLoop loop, LongConsumer startup) {
    this.upstream = upstream;
    this.joinState = healthChecked ? BackendState.DOWN : BackendState.UP;
    this.clock = clock;
    this.instances = instances;
    this.events = events;
    this.loop = loop;
    this.startup = startup;
  }

  /** Adds {@code instance} to the pool; throws IllegalStateException when the pool will not take it. */
  Backend join(Instance instance) {
    return upstream.add(instance.name(), instance.host(), instance.port(), 1, joinState);
  }

  /** Admits an instance that joined UP; otherwise it warms up until a check passes (then true). */
  boolean enter(ManagedInstance m, long now) {
    if (m.backend.state() == BackendState.UP) {
      activate(m, now);
      return false;
    }
    m.phase(Phase.WARMING, now);
    return true;
  }

  void activate(ManagedInstance m, long now) {
    m.phase(Phase.ACTIVE, now);
    m.admitted.complete(true);
    // A start-up is the provider's time; a wait for a start slot is the pending count's doing (LoadMeter sees it).
    long since = m.launched ? m.launchedNanos : m.createdNanos;
    if (m.launched) {
      startup.accept(now - since);
    }
    String waited = since == m.createdNanos ? "" : " (asked for " + seconds(now - m.createdNanos) + " ago)";
    events.emit(ScaleEvent.Kind.READY, m.name(), "serving on " + m.instance.address() + " after " + seconds(now - since) + waited);
  }

  /** Admits a warming instance as soon as the pool reports it UP; called on the pool's threads. */
  void onPoolEvent(PoolEvent e) {
    if (e.kind() == PoolEvent.Kind.STATE_CHANGED && e.backend().state() == BackendState.UP) {
      loop.execute(() -> {
        for (ManagedInstance m : instances.all()) {
          if (m.backend == e.backend() && m.phase == Phase.WARMING) {
            activate(m, clock.nanos());
            events.publishStatus();
          }
        }
      });
    }
  }
}
