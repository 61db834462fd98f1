package io.stc.scale;

import io.stc.Clock;
import io.stc.scale.ManagedInstance.Phase;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;

/**
 * Keeps the managed instances in step with a discovering provider: adopts the instances it
 * reports, drains those that leave on their own and drops those that are gone. Reports come on the
 * provider's threads and are handled on the autoscaler's.
 */
final class Discovery implements InstanceProvider.DiscoveryListener {
  private static final Logger log = Autoscaler.log;

  private final Clock clock;
  private final ManagedInstances instances;
  private final ScaleEvents events;
  private final Admission admission;
  private final Retirement retirement;
  private final AutoscalerLoop loop;
  private final BooleanSupplier closed;

  /** @param closed whether the autoscaler has been closed, after which it takes on no instance */
  Discovery(
      Clock clock, ManagedInstances instances, ScaleEvents events, Admission admission, Retirement retirement,
      AutoscalerLoop loop, BooleanSupplier closed) {
    this.clock = clock;
    this.instances = instances;
    this.events = events;
    this.admission = admission;
    this.retirement = retirement;
    this.loop = loop;
    this.closed = closed;
  }

  @Override
  public void appeared(Instance instance) {
    loop.execute(() -> adopt(instance));
  }

  @Override
  public void leaving(Instance instance, String detail) {
    loop.execute(() -> onLeaving(instance, detail));
  }

  @Override
  public void gone(Instance instance, String detail) {
    loop.execute(() -> onGone(instance, detail));
  }

  /**
   * Puts an instance the provider reported in the pool (DOWN until a check passes when health
   * checked); returns it, or null when it was managed already or the pool would not take it.
   */
  ManagedInstance adopt(Instance instance) {
    if (closed.getAsBoolean() || instances.named(instance.name()) != null) {
      return null;
    }
    long now = clock.nanos();
    ManagedInstance m = new ManagedInstance(instance.name(), now);
    m.instance = instance;
    try {
      m.backend = admission.join(instance);
    } catch (IllegalStateException e) {
      log.warn("cannot add {} to the pool: {}", instance, e.getMessage());
      return null;
    }
    instances.add(m);
    if (admission.enter(m, now)) {
      log.info("found {} serving on {}; in the pool once a health check passes", m.name(), instance.address());
    }
    events.publishStatus();
    return m;
  }

  /** A discovered instance is going away on its own: drain it if it serves, else just drop it. */
  private void onLeaving(Instance instance, String detail) {
    ManagedInstance m = instances.named(instance.name());
    if (m == null || m.phase == Phase.STOPPING) {
      return;
    }
    m.leaving = true;
    m.admitted.complete(false);
    if (m.phase == Phase.DRAINING) {
      log.info("{} is leaving ({}) while draining", m.name(), detail);
    } else if (m.ready()) {
      retirement.drain(m, clock.nanos(), "leaving: " + detail);
      log.info("{} is leaving ({}): draining {} in flight", m.name(), detail, m.backend.stats().inFlight());
    } else {
      retirement.retire(m, ScaleEvent.Kind.STOPPED, "left (" + detail + ") before it served");
    }
    events.publishStatus();
  }

  /** A discovered instance is gone: out of the pool at once. Its orchestrator replaces it if need be. */
  private void onGone(Instance instance, String detail) {
    ManagedInstance m = instances.named(instance.name());
    if (m == null || m.phase == Phase.STOPPING) {
      return;
    }
    boolean expected = m.leaving;
    retirement.drop(m);
    events.emit(expected ? ScaleEvent.Kind.STOPPED : ScaleEvent.Kind.CRASHED, m.name(),
        (expected ? "left: " : "gone without notice: ") + detail);
    events.publishStatus();
  }
}
