package io.stc.cli;

import ch.qos.logback.classic.Level;
import io.stc.backend.InstanceModel;
import io.stc.balance.Algorithm;
import io.stc.config.AutoscaleConfig.Policy;
import io.stc.config.AutoscaleConfig.ScheduleWindow;
import io.stc.config.ByteSize;
import io.stc.config.CronExpression;
import io.stc.config.HumanDuration;
import io.stc.traffic.RateTrace;
import io.stc.traffic.Simulation;
import io.stc.traffic.SimulationOptions;
import io.stc.traffic.SimulationResult;
import io.stc.traffic.TrafficPattern;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stc simulate}: the real balancer and scaling policies against modelled instances, in virtual time. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    defaultValueProvider = SimulateCommand.Defaults.class,
    description = {
      "Simulate stc in virtual time: Poisson arrivals shaped by a traffic pattern (or a recorded trace) go"
          + " through the proxy's own queue to the real balancer and pool, stc's own autoscaler sizes the pool,"
          + " and modelled instances serve them (capacity, load-dependent service time, noise, start-up delay).",
      "Reports success rate, latency (queue wait included), rejections, instance-seconds against an oracle"
          + " lower bound, and scale events. Same seed, same result."
    })
public final class SimulateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--pattern", paramLabel = "NAME", description = "Traffic shape: steady, burst, gradual, random, spike, sine (default ${DEFAULT-VALUE}).")
  String pattern;

  @Option(names = "--rate", paramLabel = "REQ/S", description = "Base rate of the pattern in req/s (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--duration", paramLabel = "DURATION", description = "Virtual time to simulate, e.g. 30m, 2h (default ${DEFAULT-VALUE}).")
  String duration;

  @Mixin TraceFlags trace = new TraceFlags();

  @Option(names = "--seed", paramLabel = "N", description = "Seed of the arrivals, service noise, capacities and pattern (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--policy", paramLabel = "NAME", description = "Scaling policy: slo, concurrency, target, threshold, rps (default ${DEFAULT-VALUE}).")
  String policy;

  @Option(names = "--slo", paramLabel = "DURATION",
      description = "p99 latency the slo policy keeps to, as autoscale.slo.p99; 0 derives it from what is measured (default ${DEFAULT-VALUE}).")
  String slo;

  @Option(names = "--compare", description = "Run every policy on the same trace and print them side by side.")
  boolean compare;

  @Option(names = "--algorithm", paramLabel = "NAME", description = "Balancing algorithm (default ${DEFAULT-VALUE}).")
  String algorithm;

  @Option(names = "--capacity", paramLabel = "MIN-MAX",
      description = "Concurrent requests an instance serves before slowing down, drawn per instance (default ${DEFAULT-VALUE}).")
  String capacity;

  @Option(names = "--service-time", paramLabel = "DURATION", description = "Mean service time of a request alone on an instance (default ${DEFAULT-VALUE}).")
  String serviceTime;

  @Option(names = "--noise", paramLabel = "exp|none", description = "What each service time is multiplied by: Exp(1) noise, or none (default ${DEFAULT-VALUE}).")
  String noise;

  @Option(names = "--startup-delay", paramLabel = "DURATION", description = "From the decision to start an instance until it serves (default ${DEFAULT-VALUE}).")
  String startupDelay;

  @Option(names = "--startup-parallel", paramLabel = "N",
      description = "Instances that start at full speed together; one asked for while N or more start takes"
          + " --startup-delay x (starting, itself included) / N, as JVMs starting on N shared cores do;"
          + " 0 for any number (default ${DEFAULT-VALUE}).")
  int startupParallel;

  @Option(names = "--max-starting", paramLabel = "N",
      description = "The most instances the autoscaler starts at once, as autoscale.provider.max_starting; the others"
          + " wait for a start slot; 0 for any number (default ${DEFAULT-VALUE}).")
  int maxStarting;

  @Option(names = "--schedule", paramLabel = "START;END;MIN[;ZONE]",
      description = "A window that raises the fewest instances, as autoscale.schedule: from each firing of the cron expression START"
          + " until the next of END, at least MIN (e.g. \"0 8 * * mon-fri;0 18 * * mon-fri;10;Europe/Berlin\"); repeatable.")
  List<String> schedule = new ArrayList<>();

  @Option(names = "--start-at", paramLabel = "DATETIME",
      description = "The date and time the run begins at, which --schedule is read by, e.g. 2026-12-07T06:00:00Z (default: the"
          + " trace's first time, when it has dates).")
  String startAt;

  @Option(names = "--min", paramLabel = "N", description = "Fewest instances (default ${DEFAULT-VALUE}, as autoscale.min).")
  int min;

  @Option(names = "--max", paramLabel = "N", description = "Most instances (default ${DEFAULT-VALUE}, as autoscale.max).")
  int max;

  @Option(names = "--max-inflight", paramLabel = "N", description = "Requests per instance the proxy lets through at once; the rest queue (default ${DEFAULT-VALUE}).")
  int maxInflight;

  @Option(names = "--queue-max", paramLabel = "N", description = "Requests that may wait in the proxy's queue, 0 for no count bound (default ${DEFAULT-VALUE}).")
  int queueMax;

  @Option(names = "--queue-memory", paramLabel = "SIZE",
      description = "Memory the waiting requests may hold, each counted as a small GET (default ${DEFAULT-VALUE}).")
  String queueMemory;

  @Option(names = "--mtbf", paramLabel = "DURATION",
      description = "Mean time from an instance's start until it crashes (exponential); 0 for never (default ${DEFAULT-VALUE}).")
  String mtbf;

  @Option(names = "--queue-timeout", paramLabel = "DURATION", description = "How long a request may wait in the queue (default ${DEFAULT-VALUE}).")
  String queueTimeout;

  @Option(names = "--interval", paramLabel = "DURATION", description = "How often the policy decides (default ${DEFAULT-VALUE}, as autoscale.interval).")
  String interval;

  @Option(names = "--report", paramLabel = "FILE", description = "Write an HTML report with charts (self-contained, no scripts).")
  Path report;

  @Option(names = "--json", description = "Print the result as one JSON object (scale events with --verbose).")
  boolean json;

  @Option(names = {"--verbose", "-v"}, description = "List every scale event.")
  boolean verbose;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SimulationOptions options;
    try {
      options = options();
    } catch (IllegalArgumentException e) {
      err.println("stc simulate: " + e.getMessage());
      err.flush();
      return 2;
    }
    quietPool();
    List<Policy> policies = compare ? List.of(Policy.values()) : List.of(options.policy());
    List<SimulationRun> runs = new ArrayList<>();
    for (Policy p : policies) {
      long start = System.nanoTime();
      SimulationResult r = Simulation.run(options.withPolicy(p));
      runs.add(new SimulationRun(r, (System.nanoTime() - start) / 1e9));
    }
    if (json) {
      out.println(SimulationReport.json(runs, verbose));
    } else if (compare) {
      out.print(SimulationReport.describe(options));
      out.println();
      out.print(SimulationReport.table(runs));
      if (verbose) {
        for (SimulationRun run : runs) {
          out.println();
          out.println(run.policy() + ":");
          out.print(SimulationReport.events(run.result()));
        }
      }
    } else {
      out.print(SimulationReport.text(runs.get(0), verbose));
    }
    out.flush();
    if (report != null) {
      try {
        Files.writeString(report, SimulationHtml.page(runs), StandardCharsets.UTF_8);
      } catch (IOException e) {
        String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
        err.println("stc simulate: cannot write " + report + " (" + why + ")");
        err.flush();
        return 1;
      }
      if (!json) {
        out.println("Report written to " + report);
        out.flush();
      }
    }
    return 0;
  }

  /** Checks the flags and builds the model; IllegalArgumentException with the flag's name on bad input. */
  SimulationOptions options() {
    if (compare && spec.commandLine().getParseResult().hasMatchedOption("--policy")) {
      throw new IllegalArgumentException("--policy and --compare exclude each other: --compare runs every policy");
    }
    if (report != null) {
      Path parent = report.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw new IllegalArgumentException("--report: directory " + parent + " does not exist");
      }
    }
    int[] cap = CapacityRange.parse("--capacity", capacity);
    SimulationOptions.Builder b = SimulationOptions.builder();
    RateTrace replay = trace.read(spec);
    if (replay != null) {
      b.trace(replay);
    }
    b
        .pattern(flag("--pattern", () -> TrafficPattern.parse(pattern)))
        .rate(rate)
        .duration(duration("--duration", duration))
        .seed(seed)
        .policy(flag("--policy", () -> SimulationOptions.parsePolicy(policy)))
        .algorithm(flag("--algorithm", () -> Algorithm.parse(algorithm)))
        .capacity(cap[0], cap[1])
        .serviceTime(duration("--service-time", serviceTime))
        .noise(flag("--noise", () -> InstanceModel.Noise.parse(noise)))
        .startupDelay(duration("--startup-delay", startupDelay))
        .startupParallel(startupParallel)
        .maxStarting(maxStarting)
        .min(min)
        .max(max)
        .maxInflight(maxInflight)
        .queueMax(queueMax)
        .queueTimeout(duration("--queue-timeout", queueTimeout))
        .queueMemory(flag("--queue-memory", () -> ByteSize.parse(queueMemory)))
        .interval(duration("--interval", interval))
        .meanLifetime(duration("--mtbf", mtbf))
        .slo(duration("--slo", slo))
        .schedule(flag("--schedule", () -> schedule.stream().map(SimulateCommand::window).toList()));
    if (startAt != null) {
      b.startAt(flag("--start-at", () -> epochMillis(startAt)));
    }
    return b.build();
  }

  /** A date and time with a zone or an offset, or without one (then UTC), as a trace's are read. */
  private static long epochMillis(String text) {
    try {
      return RateTrace.instant(text).toEpochMilli();
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException("expected a date and time such as 2026-12-07T06:00:00Z, got '" + text + "'");
    }
  }

  /** One {@code --schedule} value: START;END;MIN[;ZONE], the zone UTC unless given (a simulation runs on no machine's clock). */
  static ScheduleWindow window(String text) {
    String[] parts = text.split(";", -1);
    if (parts.length < 3 || parts.length > 4) {
      throw new IllegalArgumentException("expected START;END;MIN[;ZONE] (two cron expressions, a number, a time zone), got '" + text + "'");
    }
    CronExpression start;
    CronExpression end;
    try {
      start = CronExpression.parse(parts[0]);
      end = CronExpression.parse(parts[1]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "': " + e.getMessage(), e);
    }
    int min;
    try {
      min = Integer.parseInt(parts[2].strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "': MIN must be a whole number, got '" + parts[2].strip() + "'");
    }
    ZoneId zone;
    try {
      zone = parts.length == 4 ? ZoneId.of(parts[3].strip()) : ZoneOffset.UTC;
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException("'" + text + "': unknown time zone '" + parts[3].strip() + "'");
    }
    return new ScheduleWindow(start, end, min, zone);
  }

  private static Duration duration(String flag, String text) {
    return flag(flag, () -> HumanDuration.parse(text));
  }

  private static <T> T flag(String flag, java.util.function.Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }

  // The simulated pool and autoscaler change hundreds of times a run; their lines would bury the
  // report, which lists the scale events itself.
  private static void quietPool() {
    for (String name : List.of("io.stc.pool", "io.stc.scale")) {
      if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger l) {
        l.setLevel(Level.ERROR);
      }
    }
  }

  /** The defaults of the model's flags, from {@link SimulationOptions#builder()} and so from stc's own config defaults. */
  static final class Defaults implements CommandLine.IDefaultValueProvider {
    private static final Map<String, String> VALUES = values();

    @Override
    public String defaultValue(ArgSpec arg) {
      return arg instanceof OptionSpec o ? VALUES.get(o.longestName()) : null;
    }

    private static Map<String, String> values() {
      SimulationOptions d = SimulationOptions.builder().build();
      return Map.ofEntries(
          Map.entry("--pattern", d.pattern().label()),
          Map.entry("--rate", SimulationReport.number(d.rate())),
          Map.entry("--duration", SimulationReport.duration(d.duration())),
          Map.entry("--seed", String.valueOf(d.seed())),
          Map.entry("--policy", d.policy().configName()),
          Map.entry("--algorithm", d.algorithm().configName()),
          Map.entry("--capacity", d.capacityMin() + "-" + d.capacityMax()),
          Map.entry("--service-time", SimulationReport.duration(d.serviceTime())),
          Map.entry("--noise", d.noise().label()),
          Map.entry("--startup-delay", SimulationReport.duration(d.startupDelay())),
          Map.entry("--startup-parallel", String.valueOf(d.startupParallel())),
          Map.entry("--max-starting", String.valueOf(d.maxStarting())),
          Map.entry("--min", String.valueOf(d.min())),
          Map.entry("--max", String.valueOf(d.max())),
          Map.entry("--max-inflight", String.valueOf(d.maxInflight())),
          Map.entry("--queue-max", String.valueOf(d.queueMax())),
          Map.entry("--queue-timeout", SimulationReport.duration(d.queueTimeout())),
          Map.entry("--queue-memory", (d.queueMemory() >> 20) + "MiB"),
          Map.entry("--mtbf", SimulationReport.duration(d.meanLifetime())),
          Map.entry("--slo", SimulationReport.duration(d.slo())),
          Map.entry("--interval", SimulationReport.duration(d.interval())));
    }
  }
}
