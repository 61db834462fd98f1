package io.stc.scale;

import io.stc.StcServer;
import io.stc.config.AutoscaleConfig;
import io.stc.config.ConfigLoader;
import io.stc.config.StcConfig;
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
 *
 * <p>Before the measured run, a warm-up: a throwaway {@code stc serve} in this JVM, with a fixed
 * pool of the same instances, carries the pattern's mean rate for {@link Scenario#warmUp()}. It
 * compiles the proxy's and the client's code, as a long-running stc has it (a cold one,
 * JIT-compiling as the first requests arrive, answered 30 req/s at 509 ms in its first 10 s),
 * and makes the provider's class-data archive, so that every measured instance starts with it.
 * The measured stc is a new server with a new autoscaler: it has learned nothing from the
 * warm-up, as the simulation has not, so the warm-up needs no counterpart there.
 */
public final class RealRun {
  /** The scenario: a pattern at a rate for a duration, or a trace (then those three are not used). */
  public record Scenario(
      TrafficPattern pattern, double rate, Duration duration, RateTrace trace, int min, int max, int capacityMin,
      int capacityMax, Duration serviceTime, Duration slo, Duration warmUp) {}

  /**
   * What a run gave, both ways.
   *
   * @param startupSeconds mean time the real instances took from the decision to rotation
   * @param clientPeakConnections the most connections the client had open at once
   * @param clientHeldBack requests that waited in the client because all its connections were busy
   * @param simulatedStartup the start-up the simulation was given, fitted to the real ones
   * @param realFailures the real requests that failed, by how
   */
  public record Outcome(
      double realSuccess, double realInstanceSeconds, double realP99Millis, long realRequests, double startupSeconds,
      SimulationResult simulated, List<String> realEvents, List<Second> realSeconds, int clientPeakConnections,
      long clientHeldBack, List<Startup> startups, StartupModel simulatedStartup, String realFailures) {

    public double instanceSecondsRatio() {
      return realInstanceSeconds / simulated.instanceSeconds();
    }

    public double successRatio() {
      return realSuccess / simulated.successRate();
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT,
          "real: %,d requests, %.3f%% success, p99 %.0f ms, %.0f instance-s (start-up %.1f s); client: %d connections"
              + " at most, %d requests held back%n"
              + "real failures: %s%n"
              + "simulated: %,d requests, %.3f%% success, p99 %.0f ms, %.0f instance-s%n"
              + "real / simulated: instance-s %.3f, success %.4f%n",
          realRequests, realSuccess * 100, realP99Millis, realInstanceSeconds, startupSeconds,
          clientPeakConnections, clientHeldBack, realFailures, simulated.arrived(), simulated.successRate() * 100, simulated.latencyMillis(99), simulated.instanceSeconds(),
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
   * One real instance's start-up.
   *
   * @param together instances whose start-up overlapped its own, itself included
   */
  public record Startup(double atSeconds, int together, double seconds) {}

  /**
   * Seconds of the peak rate the client can have outstanding: more than the simulation queues at
   * the start (about a second of arrivals, with start-ups of 2-3 s).
   */
  static final double CLIENT_BACKLOG_SECONDS = 4;
  /** As the guide's benchmarks: the JIT has settled by then. */
  static final Duration DEFAULT_WARM_UP = Duration.ofSeconds(45);
  /** The fat jar, as {@code mvn package} leaves it (the build's working directory is the project's). */
  static final Path JAR = Path.of("target", "stc.jar");
  /** Sockets are file descriptors, two a connection in this JVM (client and proxy ends). */
  static final int MAX_CLIENT_CONNECTIONS = 6000;
  /** What one warm-up instance is given to carry (the matrix sizes its {@code max} by 25 req/s an instance). */
  static final double WARM_UP_RATE_PER_INSTANCE = 25;
  /** The longest the warm-up waits for its pool to be ready, and past its load for the class-data archive. */
  static final Duration ARCHIVE_WAIT = Duration.ofSeconds(120);

  private RealRun() {}

  /**
   * The instances' command with the fat jar as its class path when it exists, as a user's stc has
   * it: the JVM makes no class-data archive from a class path with directories
   * ({@code target/classes}), so instances started from one never get the archive and start
   * about twice as slowly as a user's.
   */
  static List<String> instanceCommand(List<String> demo, Path jar) {
    List<String> out = new ArrayList<>(demo);
    int cp = out.indexOf("-cp");
    if (cp >= 0 && Files.isRegularFile(jar)) {
      out.set(cp + 1, jar.toAbsolutePath().toString());
    } else {
      System.err.println("# " + jar + " not built: instances run from the class path, without a class-data archive");
    }
    return out;
  }

  /** Runs the scenario for real, then simulates it; {@code dir} holds the config and the instances' logs. */
  public static Outcome run(Scenario s, Path dir) throws Exception {
    List<String> command = instanceCommand(AutoscaleConfig.Provider.demoBackendCommand(), JAR);
    command.addAll(List.of("--service-time", s.serviceTime().toMillis() + "ms",
        "--capacity", s.capacityMin() + "-" + s.capacityMax()));
    Path instances = dir.resolve("instances");
    if (!s.warmUp().isZero()) {
      warmUp(s, command, dir, instances);
    }
    List<ScaleEvent> events = new CopyOnWriteArrayList<>();
    List<Second> seconds = new CopyOnWriteArrayList<>();
    StcConfig config = ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml(s, s.min(), s.max(), command, instances)));
    StcServer stc = new StcServer(config);
    LoadResult load;
    long from;
    long to;
    try {
      stc.start();
      stc.autoscaler().addListener(events::add);
      LoadOptions options = clientOptions(s, stc.port(), null);
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
    List<Startup> startups = startups(events, from);
    StartupModel model = startupModel(startups, startup);
    SimulationOptions.Builder sim = SimulationOptions.builder();
    if (s.trace() != null) {
      sim.trace(s.trace());
    } else {
      sim.pattern(s.pattern()).rate(s.rate()).duration(s.duration());
    }
    SimulationResult simulated = Simulation.run(sim.min(s.min()).max(s.max())
        .capacity(s.capacityMin(), s.capacityMax()).serviceTime(s.serviceTime()).slo(s.slo())
        .startupDelay(Duration.ofMillis(Math.round(model.aloneSeconds() * 1000))).startupParallel(model.parallel())
        .maxStarting(config.autoscale().provider().maxStarting()).build());
    // Over every request due, as the simulation counts every arrival: one the client dropped failed.
    double success = load.scheduled() == 0 ? 1 : (double) (load.completed() - load.errors()) / load.scheduled();
    List<String> log = new ArrayList<>();
    for (ScaleEvent e : events) {
      log.add(String.format(Locale.ROOT, "%8.1f s  %s", (e.timeMillis() - from) / 1000.0, e.message()));
    }
    return new Outcome(success, instanceSeconds(events, from, to), load.latencyMillis(99), load.sent(), startup, simulated,
        log, seconds, load.peakConnections(), load.heldBack(), startups, model, failures(load));
  }

  /** The failed requests of a load run by how they failed, or "none". */
  static String failures(LoadResult r) {
    StringBuilder out = new StringBuilder();
    r.statusCounts().forEach((status, n) -> {
      if (status >= 500) {
        out.append(String.format(Locale.ROOT, "status %d: %,d, ", status, n));
      }
    });
    long[] counts = {r.timeouts(), r.dropped(), r.unfinished(), r.ioErrors(), r.connectErrors()};
    String[] names = {"timed out", "dropped by the client", "unfinished", "I/O errors", "connect errors"};
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] > 0) {
        out.append(String.format(Locale.ROOT, "%s: %,d, ", names[i], counts[i]));
      }
    }
    return out.length() == 0 ? "none" : out.substring(0, out.length() - 2);
  }

  private static String yaml(Scenario s, int min, int max, List<String> command, Path logDir) {
    StringBuilder args = new StringBuilder();
    for (String arg : command) {
      args.append(args.length() == 0 ? "" : ", ").append('"').append(arg.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return """
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
        """.formatted(min, max, s.slo().isZero() ? "" : "slo: {p99: " + s.slo().toMillis() + "ms}", args, logDir);
  }

  /** The client of the measured run; with {@code warmUp}, steady at the pattern's mean rate for that long. */
  private static LoadOptions clientOptions(Scenario s, int port, Duration warmUp) {
    LoadOptions.Builder b = LoadOptions.builder("http://127.0.0.1:" + port + "/").timeout(Duration.ofSeconds(30));
    b = s.trace() != null ? b.trace(s.trace()) : b.pattern(s.pattern()).rate(s.rate()).duration(s.duration());
    LoadOptions measured = b.build();
    int connections = clientConnections(measured);
    if (warmUp == null) {
      return b.connections(connections).build();
    }
    return LoadOptions.builder(measured.url().toString()).timeout(Duration.ofSeconds(30)).rate(warmUpRate(s))
        .duration(warmUp).connections(connections).build();
  }

  /** The pattern's mean rate, no more than the scenario's {@code max} instances carry. */
  static double warmUpRate(Scenario s) {
    LoadOptions.Builder b = LoadOptions.builder("http://127.0.0.1:1/");
    LoadOptions o = (s.trace() != null ? b.trace(s.trace()) : b.pattern(s.pattern()).rate(s.rate()).duration(s.duration())).build();
    return Math.min(o.ratePattern().mean(0, o.durationSeconds()), s.max() * WARM_UP_RATE_PER_INSTANCE);
  }

  /** Instances of the warm-up's fixed pool: enough for its rate at {@link #WARM_UP_RATE_PER_INSTANCE}. */
  static int warmUpInstances(Scenario s) {
    return (int) Math.max(Math.min(2, s.max()), Math.min(s.max(), Math.ceil(warmUpRate(s) / WARM_UP_RATE_PER_INSTANCE)));
  }

  /**
   * Loads a throwaway stc with a fixed pool of the scenario's instances, then waits for the
   * provider's class-data archive of the instance command (trained in the background from the
   * warm-up's first start), so the measured instances all start alike.
   */
  /** Waits until {@code done} or {@code limit} has passed, whichever comes first; the caller goes on either way. */
  private static void waitUpTo(Duration limit, Duration poll, java.util.concurrent.Callable<Boolean> done) {
    try {
      org.awaitility.Awaitility.await().atMost(limit).pollInterval(poll).until(done);
    } catch (org.awaitility.core.ConditionTimeoutException notYet) {
      // the caller says what is missing
    }
  }

  private static void warmUp(Scenario s, List<String> command, Path dir, Path measuredLogDir) throws Exception {
    int n = warmUpInstances(s);
    StcServer warm = new StcServer(ConfigLoader.load(Files.writeString(dir.resolve("warm-up.yaml"),
        yaml(s, n, n, command, dir.resolve("warm-up-instances")))));
    long t0 = System.nanoTime();
    try {
      warm.start();
      // stc's start waits for its first instances up to start_timeout only; n JVMs starting at once
      // on a busy machine can take longer, and a warm-up that floods a half-started pool only queues.
      waitUpTo(ARCHIVE_WAIT, Duration.ofMillis(200), () -> readyInstances(warm) >= n);
      LoadResult r = new LoadGenerator(clientOptions(s, warm.port(), s.warmUp())).run();
      System.err.printf(Locale.ROOT, "# warm-up: %d instances, %,d requests at %.0f req/s, p99 %.0f ms, %d errors%n",
          n, r.completed(), r.achievedRate(), r.latencyMillis(99), r.errors());
      ClassDataArchive archive = ClassDataArchive.of(command, measuredLogDir);
      if (archive != null) {
        waitUpTo(ARCHIVE_WAIT, Duration.ofMillis(500), () -> Files.isRegularFile(archive.path()));
        System.err.println("# class-data archive " + archive.path()
            + (Files.isRegularFile(archive.path()) ? "" : " still missing after " + ARCHIVE_WAIT.toSeconds() + " s: instances start without it"));
      }
    } finally {
      warm.close(Duration.ofSeconds(10));
    }
    System.err.printf(Locale.ROOT, "# warm-up took %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  private static int readyInstances(StcServer stc) {
    AutoscalerStatus st = stc.autoscaler().status();
    return st.current() - st.pending();
  }

  /** Each real instance's start-up, with how many started during it. */
  static List<Startup> startups(List<ScaleEvent> events, long from) {
    List<Startup> out = new ArrayList<>();
    for (ScaleEvent e : events) {
      if (e.kind() != ScaleEvent.Kind.SCALED_UP || e.reason().equals("before the load")) {
        continue;
      }
      long ready = readyAt(events, e.instance(), e.timeMillis());
      if (ready == Long.MAX_VALUE || !isReady(events, e.instance(), ready)) {
        continue;
      }
      int together = 0;
      for (ScaleEvent o : events) {
        // itself included: every start-up whose time overlaps this one's
        if (o.kind() == ScaleEvent.Kind.SCALED_UP && !o.reason().equals("before the load") && o.timeMillis() < ready
            && readyAt(events, o.instance(), o.timeMillis()) > e.timeMillis()) {
          together++;
        }
      }
      out.add(new Startup((e.timeMillis() - from) / 1000.0, together, (ready - e.timeMillis()) / 1000.0));
    }
    return out;
  }

  private static boolean isReady(List<ScaleEvent> events, String instance, long at) {
    return events.stream().anyMatch(x -> x.instance().equals(instance) && x.timeMillis() == at && x.kind() == ScaleEvent.Kind.READY);
  }

  private static long readyAt(List<ScaleEvent> events, String instance, long after) {
    for (ScaleEvent e : events) {
      if (e.instance().equals(instance) && e.timeMillis() >= after
          && (e.kind() == ScaleEvent.Kind.READY || e.kind() == ScaleEvent.Kind.FAILED || e.kind() == ScaleEvent.Kind.STOPPED)) {
        return e.timeMillis();
      }
    }
    return Long.MAX_VALUE;
  }

  /**
   * A start-up for the simulation ({@code --startup-delay}, {@code --startup-parallel}).
   *
   * @param parallel instances starting at full speed together; 0 for any number
   */
  public record StartupModel(double aloneSeconds, int parallel) {}

  /**
   * The simulation's start-up fitted to the real ones: a start-up alone is the mean of those that
   * overlapped no other; n overlapping took about {@code alone x n / parallel} (JVMs sharing the
   * cores), so {@code parallel} is the mean of {@code alone x n / seconds} over them. Without
   * start-ups of both kinds, every start-up is the real mean, as before.
   */
  static StartupModel startupModel(List<Startup> startups, double meanSeconds) {
    double alone = startups.stream().filter(u -> u.together() == 1).mapToDouble(Startup::seconds).average().orElse(Double.NaN);
    List<Startup> crowded = startups.stream().filter(u -> u.together() > 1).toList();
    if (Double.isNaN(alone) || crowded.isEmpty() || alone <= 0) {
      return new StartupModel(meanSeconds, 0);
    }
    double parallel = crowded.stream().mapToDouble(u -> alone * u.together() / Math.max(1e-3, u.seconds())).average().orElse(1);
    return new StartupModel(alone, (int) Math.max(1, Math.round(parallel)));
  }

  /** Start-ups by how many instances were starting together: count, mean and longest per group. */
  public static String startupTable(List<Startup> startups) {
    int[][] groups = {{1, 1}, {2, 3}, {4, 7}, {8, 15}, {16, Integer.MAX_VALUE}};
    StringBuilder out = new StringBuilder("starting together | start-ups | mean s | max s\n");
    for (int[] g : groups) {
      List<Startup> in = startups.stream().filter(u -> u.together() >= g[0] && u.together() <= g[1]).toList();
      if (!in.isEmpty()) {
        out.append(String.format(Locale.ROOT, "%17s | %9d | %6.2f | %5.2f%n",
            g[1] == Integer.MAX_VALUE ? g[0] + "+" : g[0] == g[1] ? String.valueOf(g[0]) : g[0] + "-" + g[1], in.size(),
            in.stream().mapToDouble(Startup::seconds).average().orElse(0),
            in.stream().mapToDouble(Startup::seconds).max().orElse(0)));
      }
    }
    return out.toString();
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
   * The client's cap on connections, enough that it never holds a request back, as the
   * simulation's clients never do (each arrival there is sent at once, whatever else is
   * outstanding): the pattern's peak rate for {@link #CLIENT_BACKLOG_SECONDS}, the longest a
   * request is expected to wait at the proxy. {@code stc load} opens them only as its backlog
   * needs them, so a run that keeps up uses a few dozen. With a fixed 64, a sine at 300 req/s had
   * all 64 in flight at its peak and at the start: stc saw a lower, smoothed arrival rate (the
   * backlog waited in the client, where the autoscaler cannot see it); with 2,160 opened at the
   * start, the handshakes buried a cold stc.
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

  /** {@code java ... io.stc.scale.RealRun PATTERN RATE DURATION MIN MAX CAPACITY SERVICE-TIME [SLO|-] [WARM-UP]} */
  public static void main(String[] a) throws Exception {
    if (a.length < 7) {
      System.err.println("usage: RealRun PATTERN RATE DURATION MIN MAX CAPACITY(MIN-MAX) SERVICE-TIME [SLO|-] [WARM-UP]");
      System.exit(2);
    }
    String[] capacity = a[5].split("-");
    Scenario s = new Scenario(TrafficPattern.parse(a[0]), Double.parseDouble(a[1]), io.stc.config.HumanDuration.parse(a[2]),
        null, Integer.parseInt(a[3]), Integer.parseInt(a[4]), Integer.parseInt(capacity[0]),
        Integer.parseInt(capacity[capacity.length - 1]), io.stc.config.HumanDuration.parse(a[6]),
        a.length > 7 && !a[7].equals("-") ? io.stc.config.HumanDuration.parse(a[7]) : Duration.ZERO,
        a.length > 8 ? io.stc.config.HumanDuration.parse(a[8]) : DEFAULT_WARM_UP);
    Path dir = Files.createTempDirectory("stc-real-run-");
    Outcome o = run(s, dir);
    System.out.print(o);
    System.out.println();
    System.out.print(timeline(o, 10));
    System.out.println();
    System.out.println(String.format(Locale.ROOT, "real start-ups (mean %.2f s; the simulation: --startup-delay %.2fs --startup-parallel %d):",
        o.startupSeconds(), o.simulatedStartup().aloneSeconds(), o.simulatedStartup().parallel()));
    System.out.print(startupTable(o.startups()));
    System.out.println();
    System.out.println("real events:");
    o.realEvents().forEach(System.out::println);
    System.out.println();
    System.out.println("simulated events:");
    o.simulated().events().forEach(e -> System.out.printf(Locale.ROOT, "%8.1f s  %s%n", e.timeMillis() / 1000.0, e.message()));
    System.exit(0);
  }
}
