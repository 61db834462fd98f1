package io.stc.scale;

import io.stc.config.AutoscaleConfig;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * What the autoscaler tells the world: its events, to the log and to listeners, and its status.
 * Events and status are made on the autoscaler's thread; the status is read from any.
 */
final class ScaleEvents {
  private static final Logger log = Autoscaler.log;

  private final String policy;
  private final AutoscaleConfig config;
  /** {@code min} as it is now: the schedule raises it. */
  private final IntSupplier min;
  private final ManagedInstances instances;
  private final IntSupplier desired;
  private final LongSupplier timeMillis;
  private final List<Consumer<ScaleEvent>> listeners = new CopyOnWriteArrayList<>();
  private volatile AutoscalerStatus status;
  private volatile ScaleEvent lastEvent;

  /**
   * @param desired what the policy wants at the moment
   * @param timeMillis the time an event is stamped with: the wall clock, or virtual time in a simulation
   */
  ScaleEvents(String policy, AutoscaleConfig config, IntSupplier min, ManagedInstances instances, IntSupplier desired,
      LongSupplier timeMillis) {
    this.policy = policy;
    this.config = config;
    this.min = min;
    this.instances = instances;
    this.desired = desired;
    this.timeMillis = timeMillis;
    this.status = new AutoscalerStatus(policy, config.min(), config.max(), 0, desired.getAsInt(), 0, 0, null);
  }

  void addListener(Consumer<ScaleEvent> listener) {
    listeners.add(listener);
  }

  AutoscalerStatus status() {
    return status;
  }

  void emit(ScaleEvent.Kind kind, String instance, String reason) {
    ScaleEvent e = new ScaleEvent(timeMillis.getAsLong(), kind, instance, instances.current(), reason);
    lastEvent = e;
    if (kind == ScaleEvent.Kind.CRASHED || kind == ScaleEvent.Kind.FAILED) {
      log.warn(e.message());
    } else {
      log.info(e.message());
    }
    for (Consumer<ScaleEvent> l : listeners) {
      try {
        l.accept(e);
      } catch (RuntimeException ex) {
        log.warn("scale event listener failed", ex);
      }
    }
  }

  void publishStatus() {
    status = new AutoscalerStatus(
        policy, min.getAsInt(), config.max(), instances.current(), desired.getAsInt(),
        instances.count(ManagedInstance::pending), instances.count(m -> m.phase == ManagedInstance.Phase.DRAINING), lastEvent);
  }

  /** A failure as an event's reason tells it: the cause's message, or its type when it has none. */
  static String message(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }
}
