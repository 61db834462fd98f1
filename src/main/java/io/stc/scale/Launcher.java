package io.stc.scale;

import static io.stc.scale.Decision.seconds;

import io.stc.Clock;
import io.stc.config.AutoscaleConfig;
import io.stc.scale.ManagedInstance.Phase;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;

/**
 * Starts instances through the provider, up to {@code max}, and puts them in the pool once they
 * listen. At most the provider's {@code max_starting} start at once; the others wait in order for
 * one of those to come into rotation or fail. After a failed start it waits before the next one:
 * 1 s, doubling up to 30 s. Used on the autoscaler's thread.
 */
final class Launcher {
  private static final Logger log = Autoscaler.log;
  private static final long MAX_RETRY_NANOS = Duration.ofSeconds(30).toNanos();
  private static final long NEVER = Long.MIN_VALUE;

  private final AutoscaleConfig config;
  private final InstanceProvider provider;
  private final Clock clock;
  private final ManagedInstances instances;
  private final ScaleEvents events;
  private final Admission admission;
  private final Retirement retirement;
  private final Discovery discovery;
  private final AutoscalerLoop loop;
  private final BooleanSupplier closed;
  /** Asked for, not started yet: the provider has {@code max_starting} starting. */
  private final Queue<ManagedInstance> waiting = new ArrayDeque<>();
  /** Started through the provider and neither in rotation nor given up yet. */
  private int starting;
  private static final String PREFIX = "auto-";
  private int sequence;
  private int startFailures;
  private long startsAllowedAtNanos = NEVER;

  /** @param closed whether the autoscaler has been closed: what still comes up is stopped, what fails is not told */
  Launcher(
      AutoscaleConfig config, InstanceProvider provider, Clock clock, ManagedInstances instances, ScaleEvents events,
      Admission admission, Retirement retirement, Discovery discovery, AutoscalerLoop loop, BooleanSupplier closed) {
    this.config = config;
    this.provider = provider;
    this.clock = clock;
    this.instances = instances;
    this.events = events;
    this.admission = admission;
    this.retirement = retirement;
    this.discovery = discovery;
    this.loop = loop;
    this.closed = closed;
  }

  /** Starts {@code wanted} more instances as far as {@code max} has room, unless a failed start asks to wait. */
  void scaleUp(int wanted, String reason, long now) {
    if (waitingAfterFailure(now)) {
      log.debug("want {} more, but the last start failed; retrying in {}", wanted, seconds(startsAllowedAtNanos - now));
      return;
    }
    int room = room();
    for (int i = 0; i < Math.min(wanted, room); i++) {
      startOne(reason);
    }
  }

  /** Starts one instance to replace another, unless {@code max} has no room or a failed start asks to wait; null then. */
  ManagedInstance startReplacement(String reason, long now) {
    return waitingAfterFailure(now) || room() <= 0 ? null : startOne(reason);
  }

  /** A failed start asks the next to wait until then. */
  private boolean waitingAfterFailure(long now) {
    return startsAllowedAtNanos != NEVER && now - startsAllowedAtNanos < 0;
  }

  /** How many more instances {@code max} has room for. */
  private int room() {
    return config.max() - instances.count(m -> m.pending() || m.phase == Phase.ACTIVE);
  }

  /** Names the instances it starts after {@code name} (one another stc started and handed over), so no two share a name. */
  void numberAfter(String name) {
    if (name.startsWith(PREFIX)) {
      try {
        sequence = Math.max(sequence, Integer.parseInt(name.substring(PREFIX.length())));
      } catch (NumberFormatException e) {
        // Not one of ours: no number to follow.
      }
    }
  }

  /** Asks for one more instance: started now, or once there is a start slot. */
  ManagedInstance startOne(String reason) {
    ManagedInstance m = new ManagedInstance(PREFIX + (++sequence), clock.nanos());
    m.launched = true;
    instances.add(m);
    m.reason = reason;
    int slots = config.provider().maxStarting();
    if (slots > 0 && (starting >= slots || !waiting.isEmpty())) {
      m.waiting = true;
      waiting.add(m);
      log.debug("{} waits for one of the {} start slots: {}", m.slot, slots, reason);
    } else {
      launch(m, false);
    }
    return m;
  }

  /** Starts the instances waiting for a slot that are still wanted, as far as there are slots. */
  private void launchWaiting() {
    int slots = config.provider().maxStarting();
    while (!waiting.isEmpty() && (slots == 0 || starting < slots)) {
      ManagedInstance m = waiting.remove();
      if (!m.waiting || !instances.holds(m)) {
        continue; // cancelled by a scale-down, or forgotten when the lead passed to another stc
      }
      m.waiting = false;
      if (closed.getAsBoolean()) {
        instances.remove(m);
        m.admitted.complete(false);
        continue;
      }
      launch(m, true);
    }
  }

  /** Asks the provider; the scale-up event is now, when the instance starts to cost. */
  private void launch(ManagedInstance m, boolean waited) {
    m.launchedNanos = waited ? clock.nanos() : m.createdNanos;
    events.emit(ScaleEvent.Kind.SCALED_UP, m.slot, !waited ? m.reason
        : m.reason + "; after " + seconds(m.launchedNanos - m.createdNanos) + " waiting for a start slot");
    starting++;
    // Whatever ends its start-up (rotation, a failure, a cancel, a lost lead) frees its slot.
    m.admitted.whenComplete((in, error) -> loop.execute(() -> {
      starting--;
      launchWaiting();
    }));
    CompletableFuture<Instance> started;
    try {
      started = provider.start(m.slot);
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    started.whenComplete((instance, error) -> loop.execute(() -> onStarted(m, instance, error)));
  }

  private void onStarted(ManagedInstance m, Instance instance, Throwable error) {
    long now = clock.nanos();
    if (!instances.holds(m)) {
      // Forgotten when the lead passed to another stc; an instance that came up anyway still serves.
      if (error == null) {
        discovery.adopt(instance);
      }
      return;
    }
    if (error != null) {
      instances.remove(m);
      m.admitted.complete(false);
      if (closed.getAsBoolean()) {
        return;
      }
      startFailures++;
      long retry = Math.min(MAX_RETRY_NANOS, Duration.ofSeconds(1).toNanos() << Math.min(startFailures - 1, 5));
      startsAllowedAtNanos = now + retry;
      events.emit(ScaleEvent.Kind.FAILED, m.slot,
          "could not start: " + ScaleEvents.message(error) + "; next try in " + seconds(retry));
      events.publishStatus();
      return;
    }
    startFailures = 0;
    startsAllowedAtNanos = NEVER;
    m.instance = instance;
    if (closed.getAsBoolean() || m.phase == Phase.STOPPING) {
      // Cancelled by a scale-down while it was starting.
      retirement.retire(m, ScaleEvent.Kind.STOPPED, "no longer needed once started");
      return;
    }
    try {
      m.backend = admission.join(instance);
    } catch (IllegalStateException e) {
      m.admitted.complete(false);
      retirement.retire(m, ScaleEvent.Kind.FAILED, e.getMessage());
      return;
    }
    if (admission.enter(m, now)) {
      log.info("{} listening on {}; in the pool once a health check passes", m.name(), instance.address());
    }
    events.publishStatus();
  }
}
