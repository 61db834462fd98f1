package io.stc.traffic;

import io.stc.ManualClock;
import io.stc.config.AutoscaleConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Upstream;
import io.stc.scale.Decision;
import io.stc.scale.ScaleEvent;
import io.stc.scale.ScaleSnapshot;
import io.stc.scale.ScalingPolicy;
import io.stc.scale.VictimChoice;
import io.stc.traffic.SimulatedInstance.Phase;
import io.stc.traffic.SimulatedProxy.Exchange;
import io.stc.traffic.SimulatedProxy.Rejection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.HdrHistogram.Histogram;

/**
 * A discrete-event simulation in virtual time of stc under load: Poisson arrivals shaped by a
 * traffic pattern go through the proxy's queue to the real balancer over a real pool, whose
 * backends' stats run on a {@link ManualClock}; every interval the real scaling policy (with its
 * real bounds and cooldowns) sizes the pool from the same snapshot the autoscaler takes, and
 * instances start after a delay and drain before they go, as the autoscaler does it.
 *
 * <p>The run starts with {@code min} instances in rotation. Arrivals stop at the end of the
 * duration; what is in flight or queued then still finishes, but cost is counted up to the end.
 * Arrivals, service-time noise and instance capacities come from separate seeded streams, so every
 * policy sees the same trace.
 */
public final class Simulation implements SimulatedProxy.Outcomes {
  private static final long SECOND_NANOS = 1_000_000_000L;
  // The autoscaler's drain check: every 100 ms, two idle checks in a row before stopping.
  private static final long DRAIN_POLL_NANOS = 100_000_000L;
  private static final int IDLE_CHECKS_TO_STOP = 2;

  private enum Kind { ARRIVAL, FINISH, STARTED, TICK, DRAIN_CHECK, SECOND }

  private record Event(long at, long sequence, Kind kind, Object subject) {}

  private final SimulationOptions options;
  private final AutoscaleConfig config;
  private final ScalingPolicy policy;
  private final ManualClock clock = new ManualClock();
  private final Upstream upstream = new Upstream(clock);
  private final SimulatedProxy proxy;
  private final PriorityQueue<Event> events = new PriorityQueue<>(
      (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.sequence, b.sequence));
  private final PoissonArrivals arrivals;
  private final SplittableRandom noise;
  private final SplittableRandom capacities;
  private final long endNanos;
  private final List<SimulatedInstance> instances = new ArrayList<>();
  private final List<SimulatedInstance> everStarted = new ArrayList<>();
  private final List<ScaleEvent> scaleEvents = new ArrayList<>();
  private final Histogram latency = new Histogram(3);
  private final Histogram intervalLatency = new Histogram(2);
  // This second's latencies in microseconds, sorted for an exact p99 at the end of the second.
  private long[] secondLatency = new long[64];
  private int secondCount;
  private final SimulationSeries series;
  private Map<Backend, Long> requestsSeen = new HashMap<>();
  private long lastMeasureNanos;
  private long sequence;
  private long arrived;
  private long served;
  private long queueFull;
  private long queueTimeout;
  private long cut;
  private int started;
  private boolean drainCheckScheduled;

  private Simulation(SimulationOptions options) {
    this.options = options;
    this.config = options.autoscaleConfig();
    this.policy = ScalingPolicy.of(config);
    this.proxy = new SimulatedProxy(upstream, options.algorithm().newBalancer(clock), options, this);
    SplittableRandom root = new SplittableRandom(options.seed());
    this.arrivals = new PoissonArrivals(options.ratePattern(), options.durationSeconds(), root.split());
    this.noise = root.split();
    this.capacities = root.split();
    this.endNanos = options.duration().toNanos();
    this.series = SimulationSeries.ofLength((int) Math.ceil(options.durationSeconds()));
  }

  /** Runs the model to the end and reports what happened. */
  public static SimulationResult run(SimulationOptions options) {
    return new Simulation(options).run();
  }

  private SimulationResult run() {
    for (int i = 0; i < config.min(); i++) {
      SimulatedInstance m = newInstance();
      activate(m, 0);
    }
    nextArrival();
    schedule(config.interval().toNanos(), Kind.TICK, null);
    schedule(Math.min(SECOND_NANOS, endNanos), Kind.SECOND, 1);
    Event e;
    while ((e = events.poll()) != null) {
      long now = e.at;
      clock.set(now);
      proxy.expire(now);
      switch (e.kind) {
        case ARRIVAL -> arrive(now);
        case FINISH -> finish((Exchange) e.subject, now);
        case STARTED -> onStarted((SimulatedInstance) e.subject, now);
        case TICK -> tick(now);
        case DRAIN_CHECK -> checkDrains(now);
        case SECOND -> sample((Integer) e.subject, now);
      }
    }
    proxy.expireAll();
    double cost = 0;
    for (SimulatedInstance m : everStarted) {
      cost += m.secondsWithin(endNanos);
    }
    return new SimulationResult(options, arrived, served, queueFull, queueTimeout, cut, proxy.waited,
        proxy.waitNanos, latency, cost, oracle(), scaleEvents, series);
  }

  private void schedule(long at, Kind kind, Object subject) {
    events.add(new Event(at, sequence++, kind, subject));
  }

  private void nextArrival() {
    double t = arrivals.next();
    if (!Double.isNaN(t)) {
      schedule(Math.max(clock.nanos(), Math.round(t * 1e9)), Kind.ARRIVAL, null);
    }
  }

  private void arrive(long now) {
    Exchange e = new Exchange(now, PoissonArrivals.exponential(noise), arrived);
    arrived++;
    series.arrivals()[second(now)]++;
    proxy.arrive(e, now);
    nextArrival();
  }

  @Override
  public void dispatched(Exchange e, long serviceNanos) {
    schedule(e.dispatchNanos + serviceNanos, Kind.FINISH, e);
  }

  @Override
  public void rejected(Exchange e, Rejection why) {
    long now = clock.nanos();
    switch (why) {
      case QUEUE_FULL -> queueFull++;
      case QUEUE_TIMEOUT -> queueTimeout++;
    }
    series.rejected()[second(now)]++;
    // The proxy reports every exchange to the autoscaler's latency window, 503s included.
    intervalLatency.recordValue(micros(now - e.arrivalNanos));
  }

  private void finish(Exchange e, long now) {
    if (e.instance.phase == Phase.STOPPED) {
      // Its instance was stopped at the drain timeout with this request still on it.
      cut++;
      intervalLatency.recordValue(micros(now - e.arrivalNanos));
      return;
    }
    served++;
    long micros = micros(now - e.arrivalNanos);
    latency.recordValue(micros);
    intervalLatency.recordValue(micros);
    if (secondCount == secondLatency.length) {
      secondLatency = Arrays.copyOf(secondLatency, secondCount * 2);
    }
    secondLatency[secondCount++] = micros;
    series.served()[second(now)]++;
    proxy.finished(e.instance.backend, now - e.dispatchNanos, now);
  }

  // ---- the autoscaler, step by step as io.stc.scale.Autoscaler does it, on virtual time ----

  private void tick(long now) {
    ScaleSnapshot s = measure(now);
    Decision d = policy.decide(s, now);
    if (d.desired() > s.current()) {
      int room = config.max() - count(m -> m.pending() || m.ready());
      for (int i = 0; i < Math.min(d.desired() - s.current(), room); i++) {
        startOne(d.reason(), now);
      }
    } else if (d.desired() < s.current()) {
      scaleDown(s.current() - d.desired(), d.reason(), now);
    }
    long next = now + config.interval().toNanos();
    if (next <= endNanos) {
      schedule(next, Kind.TICK, null);
    }
  }

  /** The snapshot {@code LoadMeter} takes: counts, in-flight and queue now; rates and p99 since the last one. */
  private ScaleSnapshot measure(long now) {
    int ready = 0;
    int pending = 0;
    int inFlight = 0;
    long finished = 0;
    Map<Backend, Long> seen = new HashMap<>();
    for (SimulatedInstance m : instances) {
      if (m.ready()) {
        ready++;
        inFlight += m.backend.stats().inFlight();
      } else if (m.pending()) {
        pending++;
      }
      if (m.backend != null) {
        long total = m.backend.stats().requests();
        Long before = requestsSeen.get(m.backend);
        finished += Math.max(0, total - (before == null ? 0 : before));
        seen.put(m.backend, total);
      }
    }
    requestsSeen = seen;
    double elapsed = (now - lastMeasureNanos) / 1e9;
    lastMeasureNanos = now;
    double rps = elapsed > 0 ? finished / elapsed / Math.max(1, ready) : 0;
    double p99 = intervalLatency.getTotalCount() == 0 ? 0 : intervalLatency.getValueAtPercentile(99) / 1000.0;
    intervalLatency.reset();
    return new ScaleSnapshot(ready, pending, inFlight, proxy.queueDepth(), rps, p99);
  }

  private SimulatedInstance newInstance() {
    int span = options.capacityMax() - options.capacityMin() + 1;
    SimulatedInstance m =
        new SimulatedInstance(++started, options.capacityMin() + capacities.nextInt(span), clock.nanos());
    instances.add(m);
    everStarted.add(m);
    return m;
  }

  private void startOne(String reason, long now) {
    SimulatedInstance m = newInstance();
    emit(now, ScaleEvent.Kind.SCALED_UP, m.name, reason);
    schedule(now + options.startupDelay().toNanos(), Kind.STARTED, m);
  }

  private void onStarted(SimulatedInstance m, long now) {
    if (m.phase == Phase.CANCELLED) {
      retire(m, ScaleEvent.Kind.STOPPED, "no longer needed once started", now);
      return;
    }
    activate(m, now);
    emit(now, ScaleEvent.Kind.READY, m.name, "serving after " + seconds(now - m.createdNanos));
  }

  private void activate(SimulatedInstance m, long now) {
    m.phase(Phase.ACTIVE, now);
    m.backend = proxy.join(m, 10_000 + m.number % 50_000, now);
  }

  private void scaleDown(int surplus, String reason, long now) {
    for (int i = 0; i < surplus; i++) {
      SimulatedInstance victim = pickVictim();
      if (victim == null) {
        return;
      }
      if (victim.phase == Phase.STARTING) {
        victim.phase(Phase.CANCELLED, now);
        emit(now, ScaleEvent.Kind.SCALED_DOWN, victim.name, reason + " (cancelled while starting)");
      } else {
        victim.phase(Phase.DRAINING, now);
        victim.idleChecks = 0;
        upstream.setState(victim.backend, BackendState.DRAINING, "autoscaler scale-down");
        emit(now, ScaleEvent.Kind.SCALED_DOWN, victim.name,
            reason + " (draining " + victim.backend.stats().inFlight() + " in flight)");
        if (!drainCheckScheduled) {
          drainCheckScheduled = true;
          schedule((now / DRAIN_POLL_NANOS + 1) * DRAIN_POLL_NANOS, Kind.DRAIN_CHECK, null);
        }
      }
    }
  }

  /** The autoscaler's victim (simulated instances are never warming or sick). */
  private SimulatedInstance pickVictim() {
    return VictimChoice.pick(
        instances, List.of(m -> m.phase == Phase.STARTING), SimulatedInstance::ready, m -> m.backend.stats().inFlight());
  }

  private void checkDrains(long now) {
    drainCheckScheduled = false;
    boolean draining = false;
    for (SimulatedInstance m : List.copyOf(instances)) {
      if (m.phase != Phase.DRAINING) {
        continue;
      }
      int inFlight = m.backend.stats().inFlight();
      if (inFlight == 0) {
        if (++m.idleChecks >= IDLE_CHECKS_TO_STOP) {
          retire(m, ScaleEvent.Kind.STOPPED, "drained in " + seconds(now - m.phaseSinceNanos), now);
          continue;
        }
      } else {
        m.idleChecks = 0;
        if (now - m.phaseSinceNanos >= config.drainTimeout().toNanos()) {
          retire(m, ScaleEvent.Kind.STOPPED, "drain_timeout " + seconds(config.drainTimeout().toNanos())
              + " passed with " + inFlight + " request(s) still in flight", now);
          continue;
        }
      }
      draining = true;
    }
    if (draining && now < endNanos) {
      drainCheckScheduled = true;
      schedule(now + DRAIN_POLL_NANOS, Kind.DRAIN_CHECK, null);
    }
  }

  private void retire(SimulatedInstance m, ScaleEvent.Kind kind, String why, long now) {
    m.phase(Phase.STOPPED, now);
    m.stoppedNanos = now;
    if (m.backend != null && !m.backend.isRemoved()) {
      upstream.remove(m.backend.id());
    }
    instances.remove(m);
    emit(now, kind, m.name, why);
  }

  private int count(Predicate<SimulatedInstance> p) {
    int n = 0;
    for (SimulatedInstance m : instances) {
      if (p.test(m)) {
        n++;
      }
    }
    return n;
  }

  private void emit(long now, ScaleEvent.Kind kind, String instance, String reason) {
    scaleEvents.add(new ScaleEvent(now / 1_000_000, kind, instance, count(m -> m.pending() || m.ready()), reason));
  }

  // ---- measurements ----

  private void sample(int second, long now) {
    int i = second - 1;
    series.ready()[i] = count(SimulatedInstance::ready);
    series.pending()[i] = count(SimulatedInstance::pending);
    series.draining()[i] = count(m -> m.phase == Phase.DRAINING || m.phase == Phase.CANCELLED);
    series.queueDepth()[i] = proxy.queueDepth();
    if (secondCount > 0) {
      Arrays.sort(secondLatency, 0, secondCount);
      // Nearest rank: the smallest value with at least 99% of the second's requests at or below it.
      series.p99Millis()[i] = secondLatency[(int) Math.ceil(0.99 * secondCount) - 1] / 1000.0;
      secondCount = 0;
    }
    if (second < series.seconds()) {
      schedule(Math.min((second + 1) * SECOND_NANOS, endNanos), Kind.SECOND, second + 1);
    }
  }

  /**
   * The least instance-seconds that could have carried the trace: by Little's law each second's
   * arrivals keep {@code arrivals x service time} requests in service at best, and however loaded,
   * an instance of capacity c finishes fewer than {@code c / service time} requests a second, so
   * {@code ceil(arrivals x service / mean capacity)} instances, never fewer than {@code min}.
   */
  private double oracle() {
    double service = options.serviceTime().toNanos() / 1e9;
    double total = 0;
    for (int i = 0; i < series.seconds(); i++) {
      double length = Math.min(1, options.durationSeconds() - i);
      int need = (int) Math.ceil(series.arrivals()[i] * service / options.meanCapacity() - 1e-9);
      total += Math.max(config.min(), need) * length;
    }
    return total;
  }

  private int second(long nanos) {
    return (int) Math.min(series.seconds() - 1, nanos / SECOND_NANOS);
  }

  private static long micros(long nanos) {
    return Math.max(0, nanos / 1_000);
  }

  private static String seconds(long nanos) {
    double s = nanos / 1e9;
    return (s == Math.rint(s) ? String.valueOf((long) s) : String.format(Locale.ROOT, "%.1f", s)) + "s";
  }
}
