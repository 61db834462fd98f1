package io.stc.traffic;

import io.stc.VirtualTime;
import io.stc.config.AutoscaleConfig;
import io.stc.pool.Upstream;
import io.stc.scale.Autoscaler;
import io.stc.scale.AutoscalerStatus;
import io.stc.scale.ScaleEvent;
import io.stc.traffic.SimulatedProxy.Exchange;
import io.stc.traffic.SimulatedProxy.Rejection;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;

/**
 * A discrete-event simulation in virtual time of stc under load: Poisson arrivals shaped by a
 * traffic pattern go through the proxy's own request queue to the real balancer over a real pool,
 * and the real {@link Autoscaler} (its policy, launcher, admission, retirement and load meter)
 * sizes the pool through a provider of modelled instances, all on one {@link VirtualTime}. What
 * simulate shows is what serve does, by construction.
 *
 * <p>Traffic starts at virtual time 0, once the first {@code min} instances are in rotation (as
 * {@code stc serve} opens its listener only then). Arrivals stop at the end of the duration; what
 * is in flight or queued then still finishes, but cost is counted up to the end. Arrivals,
 * service-time noise, instance capacities and crashes come from separate seeded streams, so every
 * policy sees the same trace.
 */
public final class Simulation implements SimulatedProxy.Outcomes {
  private static final long SECOND_NANOS = 1_000_000_000L;

  private final SimulationOptions options;
  private final AutoscaleConfig config;
  private final VirtualTime time;
  private final SimulatedProvider provider;
  private final SimulatedProxy proxy;
  private final Autoscaler autoscaler;
  private final PoissonArrivals arrivals;
  private final SplittableRandom noise;
  private final long endNanos;
  private final List<ScaleEvent> scaleEvents = new ArrayList<>();
  private final Histogram latency = new Histogram(3);
  /** This second's latencies in microseconds. */
  private final Histogram secondLatency = new Histogram(3);
  private final SimulationSeries series;
  private long arrived;
  private long served;
  private long queueFull;
  private long queueTimeout;
  private long cut;
  private long failedOver;
  private long outstanding;

  private Simulation(SimulationOptions options) {
    this.options = options;
    this.config = options.autoscaleConfig();
    // The first instances start before traffic does, so that it finds them ready at time 0.
    this.time = new VirtualTime(-options.startupDelay().toNanos());
    Upstream upstream = new Upstream(time);
    SplittableRandom root = new SplittableRandom(options.seed());
    this.arrivals = new PoissonArrivals(options.ratePattern(), options.durationSeconds(), root.split());
    this.noise = root.split();
    SplittableRandom capacities = root.split();
    SplittableRandom crashes = root.split();
    this.provider = new SimulatedProvider(time, options.startupDelay().toNanos(), options.startupParallel(), options.capacityMin(),
        options.capacityMax(), capacities, crashes, options.meanLifetime().toNanos());
    this.proxy = new SimulatedProxy(time, upstream, options.algorithm().newBalancer(time), provider, options, this);
    this.autoscaler = Autoscaler.onVirtualTime(config, upstream, provider, time, proxy, options.startAtMillis());
    this.endNanos = options.duration().toNanos();
    this.series = SimulationSeries.ofLength((int) Math.ceil(options.durationSeconds()));
  }

  /** Runs the model to the end and reports what happened. */
  public static SimulationResult run(SimulationOptions options) {
    return new Simulation(options).run();
  }

  private SimulationResult run() {
    try {
      autoscaler.startVirtual(time);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    time.runUntil(0);
    // From here on: the start-up of the first instances is not a scaling decision.
    autoscaler.addListener(scaleEvents::add);
    nextArrival();
    time.at(Math.min(SECOND_NANOS, endNanos), () -> sample(1));
    time.runWhile(() -> time.nanos() < endNanos || outstanding > 0);
    try {
      autoscaler.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    double cost = 0;
    for (SimulatedProvider.Model m : provider.all()) {
      cost += m.secondsWithin(0, endNanos);
    }
    return new SimulationResult(options, arrived, served, queueFull, queueTimeout, cut, failedOver,
        provider.crashed(), proxy.dequeued, proxy.waitNanos, latency, cost, oracle(), scaleEvents, series);
  }

  private void nextArrival() {
    double t = arrivals.next();
    if (!Double.isNaN(t)) {
      time.at(Math.round(t * 1e9), this::arrive);
    }
  }

  private void arrive() {
    long now = time.nanos();
    Exchange e = new Exchange(now, options.noise().draw(noise.nextDouble()), arrived);
    arrived++;
    outstanding++;
    series.arrivals()[second(now)]++;
    proxy.arrive(e);
    nextArrival();
  }

  @Override
  public void dispatched(Exchange e, long serviceNanos) {
    time.after(serviceNanos, () -> finish(e));
  }

  @Override
  public void rejected(Exchange e, Rejection why) {
    long now = time.nanos();
    switch (why) {
      case QUEUE_FULL -> queueFull++;
      case QUEUE_TIMEOUT -> queueTimeout++;
    }
    series.rejected()[second(now)]++;
    outstanding--;
    // The proxy reports every exchange to the autoscaler's latency window, 503s included.
    autoscaler.latency().record(now - e.arrivalNanos);
  }

  private void finish(Exchange e) {
    long now = time.nanos();
    if (!e.instance.running()) {
      proxy.finished(e, true);
      if (e.instance.crashed()) {
        // The proxy sees the connection fail and tries the request on another instance.
        failedOver++;
        proxy.arrive(e);
        return;
      }
      // Its instance was stopped at the drain timeout with this request still on it.
      cut++;
      outstanding--;
      autoscaler.latency().record(now - e.arrivalNanos);
      return;
    }
    proxy.finished(e, false);
    served++;
    outstanding--;
    long nanos = now - e.arrivalNanos;
    autoscaler.latency().record(nanos);
    long micros = Math.max(0, nanos / 1_000);
    latency.recordValue(micros);
    secondLatency.recordValue(micros);
    series.served()[second(now)]++;
  }

  private void sample(int second) {
    int i = second - 1;
    AutoscalerStatus s = autoscaler.status();
    series.ready()[i] = s.current() - s.pending();
    series.pending()[i] = s.pending();
    series.draining()[i] = s.draining();
    series.queueDepth()[i] = proxy.depth();
    series.inFlight()[i] = proxy.inFlight();
    if (secondLatency.getTotalCount() > 0) {
      series.p99Millis()[i] = secondLatency.getValueAtPercentile(99) / 1000.0;
      secondLatency.reset();
    }
    if (second < series.seconds()) {
      time.at(Math.min((second + 1) * SECOND_NANOS, endNanos), () -> sample(second + 1));
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
    return (int) Math.max(0, Math.min(series.seconds() - 1, nanos / SECOND_NANOS));
  }
}
