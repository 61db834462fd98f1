package io.stc.scale;

import static io.stc.scale.Decision.seconds;

import io.stc.Clock;
import io.stc.VirtualTime;
import io.stc.config.AutoscaleConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Upstream;
import io.stc.scale.ManagedInstance.Phase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sizes the pool: every interval it measures the instances it manages, asks the policy how many
 * there should be, and starts or drains instances through the provider.
 *
 * <p>A new instance joins the pool DOWN (UP without health checks) and counts as pending until its
 * first passing probe, so warm-ups are not mistaken for missing capacity. A scale-down takes the
 * instance with the fewest requests in flight out of rotation (DRAINING), waits for its requests
 * to finish (up to {@code drain_timeout}), then removes and stops it. An instance that dies on its
 * own is removed and replaced.
 *
 * <p>With a discovering provider (see {@link InstanceProvider#discovers()}) the autoscaler adopts
 * the instances the provider reports, drains those that leave on their own and does not replace
 * lost ones (the orchestrator does). Several stc replicas can share such a provider's instances:
 * all of them keep their pools in step with it, but only the one that {@linkplain #setLeading
 * leads} starts and stops instances, deciding on the whole fleet's load ({@link #withFleet}).
 *
 * <p>All state lives on one thread; events go to listeners on that thread, so listeners must not
 * block. The autoscaler owns its provider and closes it.
 */
public final class Autoscaler implements AutoCloseable {
  /** Also the log of the classes it is split into, so every line reads as the autoscaler's. */
  static final Logger log = LoggerFactory.getLogger(Autoscaler.class);
  /** How often requests in flight are sampled and draining instances checked. */
  private static final long POLL_NANOS = 100_000_000L;

  private final AutoscaleConfig config;
  private final Upstream upstream;
  private final InstanceProvider provider;
  private final Clock clock;
  private final ScalingPolicy policy;
  /** {@code min} at each moment: raised while a window of the schedule is open. */
  private final ScheduledFloor floor;
  private final LatencyWindow latency = new LatencyWindow();
  private final LoadMeter meter;
  private final AutoscalerLoop loop;
  private final ManagedInstances instances = new ManagedInstances();
  private final ScaleEvents events;
  private final Admission admission;
  private final Retirement retirement;
  private final Discovery discovery;
  private final Launcher launcher;
  private volatile boolean closed;
  private volatile FleetLoad fleet = FleetLoad.NONE;
  private volatile ToIntFunction<Backend> sessions = b -> 0;
  private volatile boolean leading = true;
  private boolean begun;
  private int desired;
  /** Instances another stc handed over, adopted at the start instead of starting {@code min}. */
  private List<Handover> handed = List.of();
  /** Scaling paused while a new stc takes over: the instances it was told of stay as they are. */
  private boolean holding;
  private List<ManagedInstance> held = List.of();

  /** An autoscaler without a request queue to watch. */
  public Autoscaler(AutoscaleConfig config, Upstream upstream, InstanceProvider provider, boolean healthChecked, Clock clock) {
    this(config, upstream, provider, healthChecked, clock, QueueGauge.NONE);
  }

  /**
   * @param healthChecked whether a health checker admits new instances (they join DOWN); without
   *     one they join UP once the provider has them listening
   * @param queue the data plane's queue: what waits there counts as demand
   */
  public Autoscaler(
      AutoscaleConfig config, Upstream upstream, InstanceProvider provider, boolean healthChecked, Clock clock,
      QueueGauge queue) {
    this(config, upstream, provider, healthChecked, clock, queue, AutoscalerLoop.threaded(), System::currentTimeMillis,
        System::currentTimeMillis);
  }

  private Autoscaler(
      AutoscaleConfig config, Upstream upstream, InstanceProvider provider, boolean healthChecked, Clock clock,
      QueueGauge queue, AutoscalerLoop loop, LongSupplier eventMillis, LongSupplier wallMillis) {
    this.config = config;
    this.upstream = upstream;
    this.provider = provider;
    this.clock = clock;
    this.loop = loop;
    this.meter = new LoadMeter(latency, queue, () -> fleet);
    this.floor = new ScheduledFloor(config.min(), config.max(), config.schedule(), wallMillis);
    this.policy = ScalingPolicy.of(config, floor);
    this.desired = floor.now();
    this.events = new ScaleEvents(policy.name(), config, floor::now, instances, () -> desired, eventMillis);
    this.admission = new Admission(upstream, healthChecked, clock, instances, events, loop, meter::startupObserved);
    this.retirement = new Retirement(
        config, upstream, provider, clock, instances, events, loop, () -> leading,
        m -> sessions.applyAsInt(m.backend) + fleet.load(m.name()));
    this.discovery = new Discovery(clock, instances, events, admission, retirement, loop, () -> closed);
    this.launcher = new Launcher(
        config, provider, clock, instances, events, admission, retirement, discovery, loop, () -> closed);
  }

  /**
   * The same autoscaler for a simulation: its work runs as tasks of {@code time}, its instances
   * join the pool UP (the provider's start-up covers the warm-up), and its events are stamped with
   * virtual milliseconds. {@link #startVirtual(VirtualTime)} starts it.
   */
  public static Autoscaler onVirtualTime(
      AutoscaleConfig config, Upstream upstream, InstanceProvider provider, VirtualTime time, QueueGauge queue) {
    return onVirtualTime(config, upstream, provider, time, queue, 0);
  }

  /** As {@link #onVirtualTime(AutoscaleConfig, Upstream, InstanceProvider, VirtualTime, QueueGauge)}, its schedule read as if time 0 were {@code wallOriginMillis}. */
  public static Autoscaler onVirtualTime(
      AutoscaleConfig config, Upstream upstream, InstanceProvider provider, VirtualTime time, QueueGauge queue,
      long wallOriginMillis) {
    return new Autoscaler(config, upstream, provider, false, time, queue, AutoscalerLoop.virtual(time),
        () -> time.nanos() / 1_000_000, () -> wallOriginMillis + Math.floorDiv(time.nanos(), 1_000_000));
  }

  /**
   * Starts {@code min} instances, waits (up to {@code start_timeout}) until they are in rotation,
   * then scales every interval.
   */
  public void start() throws InterruptedException {
    List<CompletableFuture<Boolean>> first = begin();
    try {
      CompletableFuture.allOf(first.toArray(CompletableFuture[]::new))
          .get(config.startTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      log.warn("not every one of the first {} instances was ready within start_timeout {}", first.size(), config.startTimeout());
    }
    long ready = first.stream().filter(f -> f.getNow(false)).count();
    log.info("autoscaler started: {} policy, {} provider, {} of {} {} ready, min {}, max {}, every {} ms",
        policy.name(), provider.kind(), ready, first.size(), provider.discovers() ? "found" : handed.isEmpty() ? "started" : "taken over or started",
        config.min(), config.max(), config.interval().toMillis());
    scheduleWork();
  }

  /**
   * Starts an autoscaler made by {@link #onVirtualTime}: runs the simulation until the first
   * {@code min} instances are in rotation (or could not be started), then scales every interval.
   */
  public void startVirtual(VirtualTime time) throws InterruptedException {
    List<CompletableFuture<Boolean>> first = begin();
    time.runWhile(() -> !first.stream().allMatch(CompletableFuture::isDone));
    scheduleWork();
  }

  private void scheduleWork() {
    // The first decision measures from here, with the first instances in rotation.
    loop.execute(() -> meter.reset(instances.all(), clock.nanos()));
    loop.every(config.interval().toNanos(), this::tick, "tick");
    loop.every(POLL_NANOS, this::poll, "load sample and drain check");
  }

  /**
   * Subscribes to the pool and the provider and starts {@code min} instances, or adopts those a
   * discovering provider already has (the first decision then brings them to {@code min});
   * returns their admissions.
   */
  List<CompletableFuture<Boolean>> begin() throws InterruptedException {
    upstream.addListener(admission::onPoolEvent);
    provider.onExit((instance, detail) -> loop.execute(() -> onExited(instance, detail)));
    return loop.call(() -> {
      begun = true;
      meter.reset(instances.all(), clock.nanos());
      List<CompletableFuture<Boolean>> admissions = new ArrayList<>();
      if (provider.discovers()) {
        provider.onDiscovery(discovery);
        for (Instance i : provider.instances()) {
          ManagedInstance m = discovery.adopt(i);
          if (m != null) {
            admissions.add(m.admitted);
          }
        }
      } else {
        for (Handover h : handed) {
          try {
            provider.adopt(h);
          } catch (java.io.IOException e) {
            log.warn("not taken over: {}", e.getMessage());
            continue;
          }
          launcher.numberAfter(h.instance().name());
          ManagedInstance m = discovery.adopt(h.instance());
          if (m != null) {
            admissions.add(m.admitted);
            m.outdated = !provider.stillMakes(h.spec());
            if (m.outdated) {
              log.info("{} was made from what the {} provider no longer makes: it is replaced in turn", m.name(), provider.kind());
            }
          }
        }
        int min = floor.now();
        String why = floor.why();
        for (int i = admissions.size(); i < min; i++) {
          admissions.add(launcher.startOne("min " + min + (why == null ? "" : ": " + why)).admitted);
        }
      }
      events.publishStatus();
      return admissions;
    });
  }

  /**
   * Starts from the instances another stc process handed over ({@code stc serve --takeover}) rather
   * than from {@code min} new ones (more are started if they are fewer); call before {@link #start()}.
   */
  public Autoscaler adopting(List<Handover> instances) {
    this.handed = List.copyOf(instances);
    return this;
  }

  /**
   * For a new stc process that takes this one's place: stops scaling (instances that end are not
   * replaced, none is started or stopped for load) and lists the instances in the pool for it to
   * adopt; empty when the provider cannot hand them over. {@link #resume()} undoes it, {@link
   * #handOver()} completes it.
   */
  public List<Handover> hold() throws InterruptedException {
    return loop.call(() -> {
      if (closed || !provider.handsOver()) {
        return List.of();
      }
      holding = true;
      held = instances.snapshot().stream()
          .filter(m -> m.instance != null && (m.phase == Phase.ACTIVE || m.phase == Phase.WARMING))
          .toList();
      log.info("scaling held: {} instance(s) told to a new stc taking over", held.size());
      return held.stream().map(m -> new Handover(m.instance, provider.handle(m.instance), m.outdated ? "" : provider.specOf(m.instance))).toList();
    });
  }

  /** The new stc went away before it took over: scaling goes on with the instances as they are. */
  public void resume() {
    loop.execute(() -> {
      if (!holding || closed) {
        return;
      }
      holding = false;
      held = List.of();
      meter.reset(instances.all(), clock.nanos());
      log.info("scaling resumed: the new stc went away before it took over");
    });
  }

  /**
   * The new stc took over: the instances it was told of are its own now. They stay in this pool
   * for the requests still on their way, but this process neither watches nor stops them.
   */
  public void handOver() throws InterruptedException {
    loop.call(() -> {
      for (ManagedInstance m : held) {
        if (instances.holds(m)) {
          provider.letGo(m.instance);
          instances.remove(m);
        }
      }
      held = List.of();
      events.publishStatus();
      return null;
    });
  }

  /**
   * Adds what the other stc replicas of a fleet put on the instances to the demand and to the
   * choice of the instance to remove; call before {@link #start()}.
   */
  public Autoscaler withFleet(FleetLoad fleet) {
    this.fleet = fleet;
    return this;
  }

  /** Counts the sticky sessions on a backend, so a scale-down prefers instances with fewer; call before {@link #start()}. */
  public Autoscaler withSessions(ToIntFunction<Backend> sessions) {
    this.sessions = sessions;
    return this;
  }

  /**
   * Whether this autoscaler starts and stops instances (the default) or only keeps the pool in
   * step with a discovering provider while another stc scales. Taking the lead starts from the
   * instances as they are; giving it up forgets instances still starting and puts back in rotation
   * those it was draining for a scale-down.
   */
  public void setLeading(boolean lead) {
    loop.execute(() -> lead(lead));
  }

  /** Whether this autoscaler is the one that scales. */
  public boolean leading() {
    return leading;
  }

  /** Listens to scaling events; called on the autoscaler's thread, so it must not block. */
  public void addListener(Consumer<ScaleEvent> listener) {
    events.addListener(listener);
  }

  public AutoscalerStatus status() {
    return events.status();
  }

  /** Where the data plane records request latencies for the p99 signal. */
  public LatencyWindow latency() {
    return latency;
  }

  public InstanceProvider provider() {
    return provider;
  }

  /** Runs one decision now, on the autoscaler's thread (for tests on a manual clock). */
  void tickNow() throws InterruptedException {
    loop.call(() -> {
      tick();
      return null;
    });
  }

  /** Waits until the callbacks queued so far (provider results, pool events) have run. */
  void sync() throws InterruptedException {
    loop.call(() -> null);
  }

  /** Runs one load sample and drain check now, on the autoscaler's thread. */
  void checkDrainsNow() throws InterruptedException {
    loop.call(() -> {
      poll();
      return null;
    });
  }

  private void tick() {
    if (closed || !begun) {
      return;
    }
    long now = clock.nanos();
    reconcile(now);
    if (!leading || holding) {
      events.publishStatus();
      return;
    }
    ScaleSnapshot s = meter.measure(instances.all(), now);
    Decision d = policy.decide(s, now);
    desired = d.desired();
    // A replacement still starting is one more than the policy wants: it is not the one to take away.
    boolean replacing = instances.count(m -> m.outdated && m.replacement != null && m.replacement.pending()) > 0;
    if (desired > s.current()) {
      launcher.scaleUp(desired - s.current(), d.reason(), now);
    } else if (desired < s.current() && replacing) {
      log.debug("scale-down to {} waits for the replacement of an outdated instance to serve: {}", desired, d.reason());
    } else if (desired < s.current()) {
      retirement.scaleDown(s.current() - desired, d.reason(), now);
    } else {
      log.debug("holding {}: {}", desired, d.reason());
      replaceOutdated(now);
    }
    events.publishStatus();
  }

  /**
   * One step of a rolling replacement of outdated instances, while the policy holds the pool: an
   * instance of what the provider makes now is started first, and the outdated one is drained once
   * that one serves (at {@code max}, the outdated one goes first). One at a time: nothing while an
   * instance starts or an outdated one drains. A scale-down of the policy meanwhile takes an
   * outdated one too: the victim rule prefers them.
   */
  private void replaceOutdated(long now) {
    ManagedInstance old = null;
    for (ManagedInstance m : instances.all()) {
      if (m.pending() || m.outdated && m.phase == Phase.DRAINING) {
        return;
      }
      // The one whose replacement was asked for first, else the oldest.
      if (m.outdated && m.phase == Phase.ACTIVE && (old == null || old.replacement == null && m.replacement != null)) {
        old = m;
      }
    }
    if (old == null) {
      return;
    }
    ManagedInstance next = old.replacement;
    if (next != null && next.ready()) {
      drainOutdated(old, "replaced by " + next.name(), now);
    } else if (next != null && instances.holds(next)) {
      // In the pool but not serving (failing its checks): wait for it, or for it to be replaced.
      return;
    } else if (instances.current() >= config.max()) {
      drainOutdated(old, "replaced after it goes: the pool is at max " + config.max(), now);
    } else {
      old.replacement = launcher.startReplacement(
          "replacing " + old.name() + ", made from what the " + provider.kind() + " provider no longer makes", now);
    }
  }

  private void drainOutdated(ManagedInstance old, String why, long now) {
    retirement.drain(old, now, "outdated: " + why);
    events.emit(ScaleEvent.Kind.SCALED_DOWN, old.name(), "outdated, " + why + " (draining " + old.backend.stats().inFlight()
        + " in flight)");
  }

  /** Promotes instances that passed their first check, gives up on those that took too long, notices removals by others. */
  private void reconcile(long now) {
    for (ManagedInstance m : instances.snapshot()) {
      if ((m.phase == Phase.WARMING || m.phase == Phase.ACTIVE) && m.backend.isRemoved()) {
        m.admitted.complete(false);
        retirement.retire(m, ScaleEvent.Kind.CRASHED, "removed from the pool by someone else; stopped it");
      } else if (m.phase == Phase.WARMING && m.backend.state() == BackendState.UP) {
        admission.activate(m, now);
      } else if (m.phase == Phase.STARTING && m.launched && !m.waiting
          && now - m.launchedNanos >= config.startTimeout().toNanos()) {
        // A provider whose start never ends (an engine that hangs) must not hold a start slot for
        // ever: the others would wait behind it. Should it come up after all, it is stopped then.
        m.admitted.complete(false);
        m.phase(Phase.STOPPING, now);
        events.emit(ScaleEvent.Kind.FAILED, m.name(), "the provider did not start it within start_timeout "
            + seconds(config.startTimeout().toNanos()) + "; stopped if it still comes up");
      } else if (m.phase == Phase.WARMING && now - m.phaseSinceNanos >= config.startTimeout().toNanos()) {
        m.admitted.complete(false);
        String why = "no passing health check within start_timeout " + seconds(config.startTimeout().toNanos());
        if (provider.discovers()) {
          // The orchestrator keeps it alive: it waits out of rotation (sick, the first to go in a scale-down).
          m.phase(Phase.ACTIVE, now);
          events.emit(ScaleEvent.Kind.FAILED, m.name(), why + "; out of rotation until a check passes");
        } else {
          retirement.retire(m, ScaleEvent.Kind.FAILED, why);
        }
      }
    }
  }

  private void lead(boolean lead) {
    if (lead == leading || closed) {
      return;
    }
    leading = lead;
    long now = clock.nanos();
    if (lead) {
      meter.reset(instances.all(), now);
      log.info("leading: this stc scales the {} instances", provider.kind());
    } else {
      for (ManagedInstance m : instances.snapshot()) {
        if (m.phase == Phase.STARTING) {
          instances.remove(m);
          m.admitted.complete(false);
        } else if (m.phase == Phase.DRAINING && !m.leaving) {
          m.phase(Phase.ACTIVE, now);
          upstream.setState(m.backend, BackendState.UP, "scale-down called off: another stc leads");
        }
      }
      log.info("following: another stc scales; this one keeps its pool in step with the {} provider", provider.kind());
    }
    events.publishStatus();
  }

  private void poll() {
    if (closed) {
      return;
    }
    meter.sample(instances.all(), clock.nanos());
    retirement.checkDrains();
  }

  private void onExited(Instance instance, String detail) {
    ManagedInstance m = instances.running(instance);
    if (m == null || m.phase == Phase.STOPPING || closed) {
      return;
    }
    boolean leaving = m.phase == Phase.DRAINING;
    retirement.drop(m);
    events.emit(ScaleEvent.Kind.CRASHED, m.name(), "exited on its own (" + detail + ")" + (leaving ? "" : "; replacing it"));
    int wanted = Math.max(desired, floor.now()) - instances.current();
    if (!leaving && wanted > 0 && leading && !holding) {
      launcher.scaleUp(wanted, "replacing " + m.name() + ", which exited on its own", clock.nanos());
    }
    events.publishStatus();
  }

  /** Stops scaling, takes its instances out of the pool and closes the provider, which stops them. */
  @Override
  public void close() throws InterruptedException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      loop.submit(() -> {
        for (ManagedInstance m : instances.all()) {
          m.admitted.complete(false);
          m.leavePool(upstream);
        }
      }).get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
      log.warn("autoscaler did not release its instances cleanly: {}", e.toString());
    }
    loop.shutdownNow();
    provider.close();
    log.info("autoscaler stopped");
  }
}
