package io.stc.scale;

import io.stc.StcServer;
import io.stc.config.AutoscaleConfig;
import io.stc.config.ConfigLoader;
import io.stc.pool.Backend;
import io.stc.traffic.LoadGenerator;
import io.stc.traffic.LoadOptions;
import io.stc.traffic.LoadResult;
import io.stc.traffic.RatePattern;
import io.stc.traffic.RateTrace;
import io.stc.traffic.Simulation;
import io.stc.traffic.SimulationOptions;
import io.stc.traffic.SimulationResult;
import io.stc.traffic.TrafficPattern;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One scenario run both ways: for real ({@code stc serve} in this JVM, its instances {@code stc
 * backend --service-time} processes started by the process provider, {@code stc load} sending the
 * pattern) and in {@code stc simulate} with the same model, bounds and the start-up time the real
 * instances took. {@link #main} runs it at any size for {@code bench/autoscale-real.sh};
 * {@code RealVsSimulatedIT} at a small one.
 */
public final class RealRun {
  /** The scenario: a pattern at a rate for a duration, or a trace (then those three are not used). */
  public record Scenario(
      TrafficPattern pattern, double rate, Duration duration, RateTrace trace, int min, int max, int capacityMin,
      int capacityMax, Duration serviceTime, Duration slo) {}

  /**
   * What a run gave, both ways.
   *
   * @param startupSeconds mean time the real instances took from the decision to rotation
   */
  public record Outcome(
      double realSuccess, double realInstanceSeconds, double realP99Millis, long realRequests, double startupSeconds,
      SimulationResult simulated, List<String> realEvents, List<Second> realSeconds) {

    public double instanceSecondsRatio() {
      return realInstanceSeconds / simulated.instanceSeconds();
    }

    public double successRatio() {
      return realSuccess / simulated.successRate();
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT,
          "real: %,d requests, %.3f%% success, p99 %.0f ms, %.0f instance-s (start-up %.1f s)%n"
              + "simulated: %,d requests, %.3f%% success, p99 %.0f ms, %.0f instance-s%n"
              + "real / simulated: instance-s %.3f, success %.4f%n",
          realRequests, realSuccess * 100, realP99Millis, realInstanceSeconds, startupSeconds,
          simulated.arrived(), simulated.successRate() * 100, simulated.latencyMillis(99), simulated.instanceSeconds(),
          instanceSecondsRatio(), successRatio());
    }
  }

  /**
   * One second of the real run, sampled at its end: the autoscaler's counts and what the backends
   * in the pool finished during it.
   *
   * @param served requests the backends finished in the second
   * @param backendMillis their mean time from dispatch to response, as the proxy measured it
   * @param inFlight requests in flight at the backends at the sample
   */
  public record Second(int ready, int pending, int draining, long served, double backendMillis, int inFlight) {}

  /**
   * Seconds of the peak rate the client can have outstanding: more than the simulation queues at
   * the start (about a second of arrivals, with start-ups of 2-3 s).
   */
  static final double CLIENT_BACKLOG_SECONDS = 4;
  /** Sockets are file descriptors, two a connection in this JVM (client and proxy ends). */
  static final int MAX_CLIENT_CONNECTIONS = 6000;

  private RealRun() {}

  /** Runs the scenario for real, then simulates it; {@code dir} holds the config and the instances' logs. */
  public static Outcome run(Scenario s, Path dir) throws Exception {
    List<String> command = new ArrayList<>(AutoscaleConfig.Provider.demoBackendCommand());
    command.addAll(List.of("--service-time", s.serviceTime().toMillis() + "ms",
        "--capacity", s.capacityMin() + "-" + s.capacityMax()));
    StringBuilder args = new StringBuilder();
    for (String arg : command) {
      args.append(args.length() == 0 ? "" : ", ").append('"').append(arg.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    String yaml = """
        host: 127.0.0.1
        port: 0
        max_inflight: 10
        admin: {enabled: false}
        autoscale:
          enabled: true
          min: %d
          max: %d
          %s
          provider: {kind: process, command: [%s], log_dir: "%s"}
        """.formatted(s.min(), s.max(), s.slo().isZero() ? "" : "slo: {p99: " + s.slo().toMillis() + "ms}",
        args, dir.resolve("instances"));
    List<ScaleEvent> events = new CopyOnWriteArrayList<>();
    List<Second> seconds = new CopyOnWriteArrayList<>();
    StcServer stc = new StcServer(ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)));
    LoadResult load;
    long from;
    long to;
    try {
      stc.start();
      stc.autoscaler().addListener(events::add);
      LoadOptions.Builder b = LoadOptions.builder("http://127.0.0.1:" + stc.port() + "/").timeout(Duration.ofSeconds(30));
      b = s.trace() != null ? b.trace(s.trace()) : b.pattern(s.pattern()).rate(s.rate()).duration(s.duration());
      LoadOptions options = b.connections(clientConnections(b.build())).build();
      from = System.currentTimeMillis();
      for (Instance i : stc.autoscaler().provider().instances()) {
        // Started before the events were listened to: they count from the load's start.
        events.add(0, new ScaleEvent(from, ScaleEvent.Kind.SCALED_UP, i.name(), 0, "before the load"));
      }
      ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
      Map<Backend, long[]> last = new IdentityHashMap<>();
      sampler.scheduleAtFixedRate(() -> seconds.add(sample(stc, last)), 1, 1, TimeUnit.SECONDS);
      try {
        load = new LoadGenerator(options).run();
      } finally {
        sampler.shutdownNow();
      }
      to = System.currentTimeMillis();
    } finally {
      stc.close(Duration.ofSeconds(10));
    }
    double startup = startupSeconds(events);
    SimulationOptions.Builder sim = SimulationOptions.builder();
    if (s.trace() != null) {
      sim.trace(s.trace());
    } else {
      sim.pattern(s.pattern()).rate(s.rate()).duration(s.duration());
    }
    SimulationResult simulated = Simulation.run(sim.min(s.min()).max(s.max())
        .capacity(s.capacityMin(), s.capacityMax()).serviceTime(s.serviceTime()).slo(s.slo())
        .startupDelay(Duration.ofMillis(Math.round(startup * 1000))).build());
    // Over every request due, as the simulation counts every arrival: one the client dropped failed.
    double success = load.scheduled() == 0 ? 1 : (double) (load.completed() - load.errors()) / load.scheduled();
    List<String> log = new ArrayList<>();
    for (ScaleEvent e : events) {
      log.add(String.format(Locale.ROOT, "%8.1f s  %s", (e.timeMillis() - from) / 1000.0, e.message()));
    }
    return new Outcome(success, instanceSeconds(events, from, to), load.latencyMillis(99), load.sent(), startup, simulated,
        log, seconds);
  }

  private static Second sample(StcServer stc, Map<Backend, long[]> last) {
    AutoscalerStatus st = stc.autoscaler().status();
    long served = 0;
    double nanos = 0;
    int inFlight = 0;
    for (Backend b : stc.upstream().pool().all()) {
      long n = b.stats().requests();
      double total = b.stats().averageLatencyNanos() * n;
      long[] was = last.computeIfAbsent(b, x -> new long[2]);
      served += n - was[0];
      nanos += total - was[1];
      was[0] = n;
      was[1] = Math.round(total);
      inFlight += b.stats().inFlight();
    }
    return new Second(st.current() - st.pending(), st.pending(), st.draining(), served,
        served == 0 ? 0 : nanos / served / 1e6, inFlight);
  }

  /**
   * Both ways every {@code step} seconds: instances in rotation, starting and draining (at the end
   * of the step), requests finished a second, and per instance in rotation the requests finished
   * a second and in flight; for the real run also the backends' mean latency.
   */
  public static String timeline(Outcome o, int step) {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "%6s | %22s %7s %7s %6s %6s | %22s %7s %7s %6s%n", "t s", "real ready/start/drain", "done/s", "/inst", "conc",
        "lat ms", "sim ready/start/drain", "done/s", "/inst", "conc"));
    List<Second> real = o.realSeconds();
    io.stc.traffic.SimulationSeries sim = o.simulated().series();
    int n = Math.max(real.size(), sim.seconds());
    for (int from = 0; from < n; from += step) {
      int to = Math.min(n, from + step);
      double rServed = 0;
      double rNanos = 0;
      double rReadySum = 0;
      double rConc = 0;
      int rCount = 0;
      for (int i = from; i < Math.min(to, real.size()); i++) {
        Second r = real.get(i);
        rServed += r.served();
        rNanos += r.served() * r.backendMillis();
        rReadySum += r.ready();
        rConc += r.inFlight();
        rCount++;
      }
      double sServed = 0;
      double sReadySum = 0;
      double sConc = 0;
      int sCount = 0;
      for (int i = from; i < Math.min(to, sim.seconds()); i++) {
        sServed += sim.served()[i];
        sReadySum += sim.ready()[i];
        sConc += sim.inFlight()[i];
        sCount++;
      }
      Second r = real.isEmpty() ? null : real.get(Math.min(to, real.size()) - 1);
      int si = Math.min(to, sim.seconds()) - 1;
      out.append(String.format(Locale.ROOT, "%6d | %22s %7.1f %7.1f %6.2f %6.0f | %22s %7.1f %7.1f %6.2f%n", from,
          r == null ? "-" : r.ready() + "/" + r.pending() + "/" + r.draining(),
          rCount == 0 ? 0 : rServed / rCount, rReadySum == 0 ? 0 : rServed / rReadySum,
          rReadySum == 0 ? 0 : rConc / rReadySum, rServed == 0 ? 0 : rNanos / rServed,
          si < 0 ? "-" : sim.ready()[si] + "/" + sim.pending()[si] + "/" + sim.draining()[si],
          sCount == 0 ? 0 : sServed / sCount, sReadySum == 0 ? 0 : sServed / sReadySum,
          sReadySum == 0 ? 0 : sConc / sReadySum));
    }
    return out.toString();
  }

  /**
   * Connections enough that the client never holds a request back, as the simulation's clients
   * never do (each arrival there is sent at once, whatever else is outstanding): the pattern's peak
   * rate for {@link #CLIENT_BACKLOG_SECONDS}, the longest a request is expected to wait at the proxy.
   * With {@code stc load}'s default 64, a sine at 300 req/s had all 64 in flight at its peak and
   * at the start: stc saw a lower, smoothed arrival rate (the backlog waited in the client, where
   * the autoscaler cannot see it) and the run's p99 was the client's queue.
   */
  static int clientConnections(LoadOptions o) {
    RatePattern rates = o.ratePattern();
    double peak = 0;
    for (double t = 0; t < o.durationSeconds(); t += 0.5) {
      peak = Math.max(peak, rates.rate(t));
    }
    return (int) Math.max(LoadOptions.DEFAULT_CONNECTIONS, Math.min(MAX_CLIENT_CONNECTIONS,
        Math.ceil(peak * CLIENT_BACKLOG_SECONDS)));
  }

  /** Each instance from the decision to start it until it stopped, within the load's time. */
  static double instanceSeconds(List<ScaleEvent> events, long from, long to) {
    Map<String, Long> started = new HashMap<>();
    double total = 0;
    for (ScaleEvent e : events) {
      switch (e.kind()) {
        case SCALED_UP -> started.put(e.instance(), e.timeMillis());
        case STOPPED, CRASHED, FAILED -> {
          Long at = started.remove(e.instance());
          if (at != null) {
            total += Math.max(0, Math.min(e.timeMillis(), to) - Math.max(at, from)) / 1000.0;
          }
        }
        default -> { }
      }
    }
    // What still ran at the end.
    for (long at : started.values()) {
      total += Math.max(0, to - Math.max(at, from)) / 1000.0;
    }
    return total;
  }

  /** Mean time from a scale-up to the instance's rotation, over the run. */
  static double startupSeconds(List<ScaleEvent> events) {
    Map<String, Long> asked = new HashMap<>();
    double sum = 0;
    int n = 0;
    for (ScaleEvent e : events) {
      if (e.kind() == ScaleEvent.Kind.SCALED_UP) {
        asked.put(e.instance(), e.timeMillis());
      } else if (e.kind() == ScaleEvent.Kind.READY && asked.containsKey(e.instance()) && !e.reason().equals("before the load")) {
        sum += (e.timeMillis() - asked.remove(e.instance())) / 1000.0;
        n++;
      }
    }
    return n == 0 ? 5 : sum / n;
  }

  /** {@code java ... io.stc.scale.RealRun PATTERN RATE DURATION MIN MAX CAPACITY SERVICE-TIME [SLO]} */
  public static void main(String[] a) throws Exception {
    if (a.length < 7) {
      System.err.println("usage: RealRun PATTERN RATE DURATION MIN MAX CAPACITY(MIN-MAX) SERVICE-TIME [SLO]");
      System.exit(2);
    }
    String[] capacity = a[5].split("-");
    Scenario s = new Scenario(TrafficPattern.parse(a[0]), Double.parseDouble(a[1]), io.stc.config.HumanDuration.parse(a[2]),
        null, Integer.parseInt(a[3]), Integer.parseInt(a[4]), Integer.parseInt(capacity[0]),
        Integer.parseInt(capacity[capacity.length - 1]), io.stc.config.HumanDuration.parse(a[6]),
        a.length > 7 ? io.stc.config.HumanDuration.parse(a[7]) : Duration.ZERO);
    Path dir = Files.createTempDirectory("stc-real-run-");
    Outcome o = run(s, dir);
    System.out.print(o);
    System.out.println();
    System.out.print(timeline(o, 10));
    System.out.println();
    System.out.println("real events:");
    o.realEvents().forEach(System.out::println);
    System.out.println();
    System.out.println("simulated events:");
    o.simulated().events().forEach(e -> System.out.printf(Locale.ROOT, "%8.1f s  %s%n", e.timeMillis() / 1000.0, e.message()));
    System.exit(0);
  }
}
