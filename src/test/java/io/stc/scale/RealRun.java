package io.stc.scale;

import io.stc.StcServer;
import io.stc.config.AutoscaleConfig;
import io.stc.config.ConfigLoader;
import io.stc.traffic.LoadGenerator;
import io.stc.traffic.LoadOptions;
import io.stc.traffic.LoadResult;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

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
      SimulationResult simulated, List<String> realEvents) {

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
    StcServer stc = new StcServer(ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)));
    LoadResult load;
    long from;
    long to;
    try {
      stc.start();
      stc.autoscaler().addListener(events::add);
      LoadOptions.Builder b = LoadOptions.builder("http://127.0.0.1:" + stc.port() + "/").timeout(Duration.ofSeconds(30));
      LoadOptions options = (s.trace() != null ? b.trace(s.trace()) : b.pattern(s.pattern()).rate(s.rate()).duration(s.duration()))
          .build();
      from = System.currentTimeMillis();
      for (Instance i : stc.autoscaler().provider().instances()) {
        // Started before the events were listened to: they count from the load's start.
        events.add(0, new ScaleEvent(from, ScaleEvent.Kind.SCALED_UP, i.name(), 0, "before the load"));
      }
      load = new LoadGenerator(options).run();
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
    double success = load.sent() == 0 ? 1 : (double) (load.completed() - load.errors()) / load.sent();
    List<String> log = new ArrayList<>();
    for (ScaleEvent e : events) {
      log.add(String.format(Locale.ROOT, "%8.1f s  %s", (e.timeMillis() - from) / 1000.0, e.message()));
    }
    return new Outcome(success, instanceSeconds(events, from, to), load.latencyMillis(99), load.sent(), startup, simulated,
        log);
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
    System.out.print(run(s, dir));
    System.exit(0);
  }
}
