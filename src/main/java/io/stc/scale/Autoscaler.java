package io.stc.scale;

import static io.stc.scale.Decision.seconds;

import io.stc.Clock;
import io.stc.config.AutoscaleConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.PoolEvent;
import io.stc.pool.Upstream;
import io.stc.scale.ManagedInstance.Phase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
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
  private static final Logger log = LoggerFactory.getLogger(Autoscaler.class);
  private static final long DRAIN_POLL_MILLIS = 100;
  /** Drain polls in a row that must see nothing in flight, so a request picked just before DRAINING is not cut. */
  private static final int IDLE_CHECKS_TO_STOP = 2;
  private static final long MAX_RETRY_NANOS = Duration.ofSeconds(30).toNanos();
  private static final long NEVER = Long.MIN_VALUE;

  private final AutoscaleConfig config;
  private final Upstream upstream;
  private final InstanceProvider provider;
  private final BackendState joinState;
  private final Clock clock;
  private final ScalingPolicy policy;
  private final LatencyWindow latency = new LatencyWindow();
  private final LoadMeter meter;
  private final ScheduledExecutorService loop;
  private final Map<String, ManagedInstance> instances = new LinkedHashMap<>();
  private final List<Consumer<ScaleEvent>> listeners = new CopyOnWriteArrayList<>();
  private volatile AutoscalerStatus status;
  private volatile ScaleEvent lastEvent;
  private volatile boolean closed;
  private volatile FleetLoad fleet = FleetLoad.NONE;
  private volatile ToIntFunction<Backend> sessions = b -> 0;
  private volatile boolean leading = true;
  private boolean begun;
  private int sequence;
  private int desired;
  private int startFailures;
  private long startsAllowedAtNanos = NEVER;

  /** An autoscaler without a request queue to watch. */
  public Autoscaler(AutoscaleConfig config, Upstream upstream, InstanceProvider provider, boolean healthChecked, Clock clock) {
    this(config, upstream, provider, healthChecked, clock, () -> 0);
  }

  /**
   * @param healthChecked whether a health checker admits new instances (they join DOWN); without
   *     one they join UP once the provider has them listening
   * @param queueDepth requests waiting in stc for an instance; counted as demand
   */
  public Autoscaler(
      AutoscaleConfig config, Upstream upstream, InstanceProvider provider, boolean healthChecked, Clock clock,
      IntSupplier queueDepth) {
    this.config = config;
    this.upstream = upstream;
    this.provider = provider;
    this.joinState = healthChecked ? BackendState.DOWN : BackendState.UP;
    this.clock = clock;
    this.meter = new LoadMeter(latency, () -> queueDepth.getAsInt() + fleet.queueDepth(), () -> fleet.inFlight());
    this.policy = ScalingPolicy.of(config);
    this.desired = config.min();
    this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stc-autoscaler");
      t.setDaemon(true);
      return t;
    });
    this.status = new AutoscalerStatus(policy.name(), config.min(), config.max(), 0, desired, 0, 0, null);
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
        policy.name(), provider.kind(), ready, first.size(), provider.discovers() ? "found" : "started",
        config.min(), config.max(), config.interval().toMillis());
    long interval = config.interval().toMillis();
    loop.scheduleWithFixedDelay(guarded(this::tick, "tick"), interval, interval, TimeUnit.MILLISECONDS);
    loop.scheduleWithFixedDelay(guarded(this::checkDrains, "drain check"), DRAIN_POLL_MILLIS, DRAIN_POLL_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * Subscribes to the pool and the provider and starts {@code min} instances, or adopts those a
   * discovering provider already has (the first decision then brings them to {@code min});
   * returns their admissions.
   */
  List<CompletableFuture<Boolean>> begin() throws InterruptedException {
    upstream.addListener(this::onPoolEvent);
    provider.onExit((instance, detail) -> onLoop(() -> onExited(instance, detail)));
    return call(() -> {
      begun = true;
      meter.reset(clock.nanos());
      List<CompletableFuture<Boolean>> admissions = new ArrayList<>();
      if (provider.discovers()) {
        provider.onDiscovery(new InstanceProvider.DiscoveryListener() {
          @Override
          public void appeared(Instance instance) {
            onLoop(() -> adopt(instance));
          }

          @Override
          public void leaving(Instance instance, String detail) {
            onLoop(() -> onLeaving(instance, detail));
          }

          @Override
          public void gone(Instance instance, String detail) {
            onLoop(() -> onGone(instance, detail));
          }
        });
        for (Instance i : provider.instances()) {
          ManagedInstance m = adopt(i);
          if (m != null) {
            admissions.add(m.admitted);
          }
        }
      } else {
        for (int i = 0; i < config.min(); i++) {
          admissions.add(startOne("min " + config.min()).admitted);
        }
      }
      publishStatus();
      return admissions;
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
    onLoop(() -> lead(lead));
  }

  /** Whether this autoscaler is the one that scales. */
  public boolean leading() {
    return leading;
  }

  /** Listens to scaling events; called on the autoscaler's thread, so it must not block. */
  public void addListener(Consumer<ScaleEvent> listener) {
    listeners.add(listener);
  }

  public AutoscalerStatus status() {
    return status;
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
    call(() -> {
      tick();
      return null;
    });
  }

  /** Waits until the callbacks queued so far (provider results, pool events) have run. */
  void sync() throws InterruptedException {
    call(() -> null);
  }

  /** Runs one drain check now, on the autoscaler's thread. */
  void checkDrainsNow() throws InterruptedException {
    call(() -> {
      checkDrains();
      return null;
    });
  }

  private void tick() {
    if (closed || !begun) {
      return;
    }
    long now = clock.nanos();
    reconcile(now);
    if (!leading) {
      publishStatus();
      return;
    }
    ScaleSnapshot s = meter.measure(instances.values(), now);
    Decision d = policy.decide(s, now);
    desired = d.desired();
    if (desired > s.current()) {
      scaleUp(desired - s.current(), d.reason(), now);
    } else if (desired < s.current()) {
      scaleDown(s.current() - desired, d.reason(), now);
    } else {
      log.debug("holding {}: {}", desired, d.reason());
    }
    publishStatus();
  }

  /** Promotes instances that passed their first check, gives up on those that took too long, notices removals by others. */
  private void reconcile(long now) {
    for (ManagedInstance m : List.copyOf(instances.values())) {
      if ((m.phase == Phase.WARMING || m.phase == Phase.ACTIVE) && m.backend.isRemoved()) {
        m.admitted.complete(false);
        retire(m, ScaleEvent.Kind.CRASHED, "removed from the pool by someone else; stopped it");
      } else if (m.phase == Phase.WARMING && m.backend.state() == BackendState.UP) {
        activate(m, now);
      } else if (m.phase == Phase.WARMING && now - m.phaseSinceNanos >= config.startTimeout().toNanos()) {
        m.admitted.complete(false);
        String why = "no passing health check within start_timeout " + seconds(config.startTimeout().toNanos());
        if (provider.discovers()) {
          // The orchestrator keeps it alive: it waits out of rotation (sick, the first to go in a scale-down).
          m.phase(Phase.ACTIVE, now);
          emit(ScaleEvent.Kind.FAILED, m.name(), why + "; out of rotation until a check passes");
        } else {
          retire(m, ScaleEvent.Kind.FAILED, why);
        }
      }
    }
  }

  private void scaleUp(int wanted, String reason, long now) {
    if (startsAllowedAtNanos != NEVER && now - startsAllowedAtNanos < 0) {
      log.debug("want {} more, but the last start failed; retrying in {}", wanted, seconds(startsAllowedAtNanos - now));
      return;
    }
    int room = config.max() - count(m -> m.pending() || m.phase == Phase.ACTIVE);
    for (int i = 0; i < Math.min(wanted, room); i++) {
      startOne(reason);
    }
  }

  private ManagedInstance startOne(String reason) {
    ManagedInstance m = new ManagedInstance("auto-" + (++sequence), clock.nanos());
    instances.put(m.slot, m);
    emit(ScaleEvent.Kind.SCALED_UP, m.slot, reason);
    CompletableFuture<Instance> started;
    try {
      started = provider.start(m.slot);
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    started.whenComplete((instance, error) -> onLoop(() -> onStarted(m, instance, error)));
    return m;
  }

  private void onStarted(ManagedInstance m, Instance instance, Throwable error) {
    long now = clock.nanos();
    if (instances.get(m.slot) != m) {
      // Forgotten when the lead passed to another stc; an instance that came up anyway still serves.
      if (error == null) {
        adopt(instance);
      }
      return;
    }
    if (error != null && closed) {
      instances.remove(m.slot);
      m.admitted.complete(false);
      return;
    }
    if (error != null) {
      instances.remove(m.slot);
      m.admitted.complete(false);
      startFailures++;
      long retry = Math.min(MAX_RETRY_NANOS, Duration.ofSeconds(1).toNanos() << Math.min(startFailures - 1, 5));
      startsAllowedAtNanos = now + retry;
      emit(ScaleEvent.Kind.FAILED, m.slot, "could not start: " + message(error) + "; next try in " + seconds(retry));
      publishStatus();
      return;
    }
    startFailures = 0;
    startsAllowedAtNanos = NEVER;
    m.instance = instance;
    if (closed || m.phase == Phase.STOPPING) {
      // Cancelled by a scale-down while it was starting.
      retire(m, ScaleEvent.Kind.STOPPED, "no longer needed once started");
      return;
    }
    try {
      m.backend = upstream.add(instance.name(), instance.host(), instance.port(), 1, joinState);
    } catch (IllegalStateException e) {
      m.admitted.complete(false);
      retire(m, ScaleEvent.Kind.FAILED, e.getMessage());
      return;
    }
    if (m.backend.state() == BackendState.UP) {
      activate(m, now);
    } else {
      m.phase(Phase.WARMING, now);
      log.info("{} listening on {}; in the pool once a health check passes", m.name(), instance.address());
    }
    publishStatus();
  }

  /** Puts an instance a discovering provider reported in the pool (DOWN until a check passes when health checked). */
  private ManagedInstance adopt(Instance instance) {
    if (closed || managed(instance.name()) != null) {
      return null;
    }
    long now = clock.nanos();
    ManagedInstance m = new ManagedInstance(instance.name(), now);
    m.instance = instance;
    try {
      m.backend = upstream.add(instance.name(), instance.host(), instance.port(), 1, joinState);
    } catch (IllegalStateException e) {
      log.warn("cannot add {} to the pool: {}", instance, e.getMessage());
      return null;
    }
    instances.put(m.slot, m);
    if (m.backend.state() == BackendState.UP) {
      activate(m, now);
    } else {
      m.phase(Phase.WARMING, now);
      log.info("found {} serving on {}; in the pool once a health check passes", m.name(), instance.address());
    }
    publishStatus();
    return m;
  }

  /** A discovered instance is going away on its own: drain it if it serves, else just drop it. */
  private void onLeaving(Instance instance, String detail) {
    ManagedInstance m = managed(instance.name());
    if (m == null || m.phase == Phase.STOPPING) {
      return;
    }
    m.leaving = true;
    m.admitted.complete(false);
    if (m.phase == Phase.DRAINING) {
      log.info("{} is leaving ({}) while draining", m.name(), detail);
    } else if (m.ready()) {
      m.phase(Phase.DRAINING, clock.nanos());
      m.idleChecks = 0;
      upstream.setState(m.backend, BackendState.DRAINING, "leaving: " + detail);
      log.info("{} is leaving ({}): draining {} in flight", m.name(), detail, m.backend.stats().inFlight());
    } else {
      retire(m, ScaleEvent.Kind.STOPPED, "left (" + detail + ") before it served");
    }
    publishStatus();
  }

  /** A discovered instance is gone: out of the pool at once. Its orchestrator replaces it if need be. */
  private void onGone(Instance instance, String detail) {
    ManagedInstance m = managed(instance.name());
    if (m == null || m.phase == Phase.STOPPING) {
      return;
    }
    boolean expected = m.leaving;
    m.leaving = true;
    m.admitted.complete(false);
    m.phase(Phase.STOPPING, clock.nanos());
    if (m.backend != null && !m.backend.isRemoved()) {
      upstream.remove(m.backend.id());
    }
    instances.remove(m.slot);
    emit(expected ? ScaleEvent.Kind.STOPPED : ScaleEvent.Kind.CRASHED, m.name(),
        (expected ? "left: " : "gone without notice: ") + detail);
    publishStatus();
  }

  private void lead(boolean lead) {
    if (lead == leading || closed) {
      return;
    }
    leading = lead;
    long now = clock.nanos();
    if (lead) {
      meter.reset(now);
      log.info("leading: this stc scales the {} instances", provider.kind());
    } else {
      for (ManagedInstance m : List.copyOf(instances.values())) {
        if (m.phase == Phase.STARTING) {
          instances.remove(m.slot);
          m.admitted.complete(false);
        } else if (m.phase == Phase.DRAINING && !m.leaving) {
          m.phase(Phase.ACTIVE, now);
          upstream.setState(m.backend, BackendState.UP, "scale-down called off: another stc leads");
        }
      }
      log.info("following: another stc scales; this one keeps its pool in step with the {} provider", provider.kind());
    }
    publishStatus();
  }

  private ManagedInstance managed(String name) {
    for (ManagedInstance m : instances.values()) {
      if (m.instance != null && m.instance.name().equals(name)) {
        return m;
      }
    }
    return null;
  }

  private void activate(ManagedInstance m, long now) {
    m.phase(Phase.ACTIVE, now);
    m.admitted.complete(true);
    emit(ScaleEvent.Kind.READY, m.name(), "serving on " + m.instance.address() + " after " + seconds(now - m.createdNanos));
  }

  private void onPoolEvent(PoolEvent e) {
    if (e.kind() == PoolEvent.Kind.STATE_CHANGED && e.backend().state() == BackendState.UP) {
      onLoop(() -> {
        for (ManagedInstance m : instances.values()) {
          if (m.backend == e.backend() && m.phase == Phase.WARMING) {
            activate(m, clock.nanos());
            publishStatus();
          }
        }
      });
    }
  }

  private void scaleDown(int surplus, String reason, long now) {
    for (int i = 0; i < surplus; i++) {
      ManagedInstance victim = pickVictim();
      if (victim == null) {
        return;
      }
      Phase was = victim.phase;
      victim.admitted.complete(false);
      if (was == Phase.STARTING) {
        victim.phase(Phase.STOPPING, now);
        emit(ScaleEvent.Kind.SCALED_DOWN, victim.name(), reason + " (cancelled while starting)");
      } else if (was == Phase.WARMING || victim.sick()) {
        String state = was == Phase.WARMING ? "not in rotation yet" : "failing health checks";
        retire(victim, ScaleEvent.Kind.STOPPED, "stopped without draining: it was " + state);
        emit(ScaleEvent.Kind.SCALED_DOWN, victim.name(), reason + " (" + state + ")");
      } else {
        victim.phase(Phase.DRAINING, now);
        victim.idleChecks = 0;
        upstream.setState(victim.backend, BackendState.DRAINING, "autoscaler scale-down");
        emit(ScaleEvent.Kind.SCALED_DOWN, victim.name(), reason + " (draining " + victim.backend.stats().inFlight() + " in flight)");
      }
    }
  }

  /** The cheapest instance to lose: one still starting, then one not in rotation, then the least busy. */
  private ManagedInstance pickVictim() {
    List<ManagedInstance> newestFirst = new ArrayList<>(instances.values());
    Collections.reverse(newestFirst);
    for (Predicate<ManagedInstance> p : List.<Predicate<ManagedInstance>>of(
        m -> m.phase == Phase.STARTING, m -> m.phase == Phase.WARMING, ManagedInstance::sick)) {
      for (ManagedInstance m : newestFirst) {
        if (p.test(m)) {
          return m;
        }
      }
    }
    return newestFirst.stream()
        .filter(ManagedInstance::ready)
        .min(Comparator.comparingInt(this::busy))
        .orElse(null);
  }

  /** What removing an instance would disturb: requests in flight and sticky sessions, this stc's and the fleet's. */
  private int busy(ManagedInstance m) {
    return m.backend.stats().inFlight() + sessions.applyAsInt(m.backend) + fleet.load(m.name());
  }

  private void checkDrains() {
    if (closed) {
      return;
    }
    long now = clock.nanos();
    for (ManagedInstance m : List.copyOf(instances.values())) {
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

  /** Takes an instance out of the pool and stops it; {@code kind} and {@code why} are told once it is gone. */
  private void retire(ManagedInstance m, ScaleEvent.Kind kind, String why) {
    m.phase(Phase.STOPPING, clock.nanos());
    if (m.backend != null && !m.backend.isRemoved()) {
      upstream.remove(m.backend.id());
    }
    if (m.instance == null) {
      // Still starting: onStarted() stops it when the provider hands it over.
      return;
    }
    if (m.leaving || (provider.discovers() && !leading)) {
      // Going away on its own, or someone else's to stop: out of this pool is all there is to do.
      instances.remove(m.slot);
      emit(kind, m.name(), why);
      publishStatus();
      return;
    }
    CompletableFuture<Void> stopped;
    try {
      stopped = provider.stop(m.instance);
    } catch (RuntimeException e) {
      stopped = CompletableFuture.failedFuture(e);
    }
    stopped.whenComplete((v, error) -> onLoop(() -> {
      instances.remove(m.slot);
      emit(kind, m.name(), why + (error == null ? "" : "; stopping it failed: " + message(error)));
      publishStatus();
    }));
  }

  private void onExited(Instance instance, String detail) {
    ManagedInstance m = null;
    for (ManagedInstance candidate : instances.values()) {
      if (instance.equals(candidate.instance)) {
        m = candidate;
      }
    }
    if (m == null || m.phase == Phase.STOPPING || closed) {
      return;
    }
    boolean leaving = m.phase == Phase.DRAINING;
    m.phase(Phase.STOPPING, clock.nanos());
    m.admitted.complete(false);
    if (m.backend != null && !m.backend.isRemoved()) {
      upstream.remove(m.backend.id());
    }
    instances.remove(m.slot);
    emit(ScaleEvent.Kind.CRASHED, m.name(), "exited on its own (" + detail + ")" + (leaving ? "" : "; replacing it"));
    int wanted = Math.max(desired, config.min()) - count(x -> x.pending() || x.ready());
    if (!leaving && wanted > 0 && leading) {
      scaleUp(wanted, "replacing " + m.name() + ", which exited on its own", clock.nanos());
    }
    publishStatus();
  }

  private int count(Predicate<ManagedInstance> p) {
    int n = 0;
    for (ManagedInstance m : instances.values()) {
      if (p.test(m)) {
        n++;
      }
    }
    return n;
  }

  private void emit(ScaleEvent.Kind kind, String instance, String reason) {
    ScaleEvent e = new ScaleEvent(System.currentTimeMillis(), kind, instance, count(m -> m.pending() || m.ready()), reason);
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

  private void publishStatus() {
    status = new AutoscalerStatus(
        policy.name(), config.min(), config.max(), count(m -> m.pending() || m.ready()), desired,
        count(ManagedInstance::pending), count(m -> m.phase == Phase.DRAINING), lastEvent);
  }

  /** Runs {@code task} on the autoscaler's thread, unless it has been shut down. */
  private void onLoop(Runnable task) {
    try {
      loop.execute(guarded(task, "callback"));
    } catch (RejectedExecutionException e) {
      // Closing: the provider's close() ends whatever this callback was about.
    }
  }

  private <T> T call(Callable<T> task) throws InterruptedException {
    try {
      return loop.submit(task).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("autoscaler task failed", e.getCause());
    }
  }

  private static Runnable guarded(Runnable task, String what) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        log.error("autoscaler {} failed", what, e);
      }
    };
  }

  private static String message(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
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
        for (ManagedInstance m : instances.values()) {
          m.admitted.complete(false);
          if (m.backend != null && !m.backend.isRemoved()) {
            upstream.remove(m.backend.id());
          }
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
