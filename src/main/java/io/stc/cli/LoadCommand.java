package io.stc.cli;

import io.stc.config.HumanDuration;
import io.stc.traffic.LoadGenerator;
import io.stc.traffic.LoadOptions;
import io.stc.traffic.LoadResult;
import io.stc.traffic.RateTrace;
import io.stc.traffic.SecondSample;
import io.stc.traffic.TrafficPattern;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/** {@code stc load}: an open-loop (or closed-loop) HTTP load generator. */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description = {
      "Send HTTP load to a URL and report status counts, achieved rate, latency percentiles and the"
          + " split by the X-Served-By response header.",
      "Open loop (default): requests leave on the pattern's schedule whatever the responses do;"
          + " latency counts from the intended send time. A request due when every connection is busy"
          + " opens another (up to --connections), so requests wait at the target, not in the client.",
      "Closed loop (--requests): --concurrency clients each send their next request when the"
          + " previous one is answered."
    })
public final class LoadCommand implements Callable<Integer> {
  private static final List<String> OPEN_ONLY = List.of("--pattern", "--rate", "--duration", "--seed", "--connections",
      "--max-outstanding", "--trace", "--trace-scale", "--trace-start", "--trace-duration", "--trace-targets");
  /** Most targets kept from an access log (the first, from where the replay begins; then again from the first). */
  static final int MAX_TARGETS = 2_000_000;

  @Spec CommandSpec spec;

  @Option(names = "--url", required = true, description = "Target, e.g. http://127.0.0.1:8080/")
  String url;

  @Option(names = "--pattern", defaultValue = "steady",
      description = "Open loop rate shape: steady, burst, gradual, random, spike, sine (default ${DEFAULT-VALUE}).")
  String pattern;

  @Option(names = "--rate", defaultValue = "200", description = "Nominal rate in req/s (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--duration", defaultValue = "60s", description = "Open loop length (default ${DEFAULT-VALUE}).")
  String duration;

  @Mixin TraceFlags trace = new TraceFlags();

  @Option(names = "--trace-targets",
      description = "With an access log as --trace: send each request to the path of the log's next GET, in its order from"
          + " where the replay begins (the first " + MAX_TARGETS + ", then from the first again), instead of the --url's path."
          + " Other methods are not sent (the log holds no bodies).")
  boolean traceTargets;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the burst and random patterns (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--connections",
      description = "Open loop: the most keep-alive connections. One opens when a request is due and every open one"
          + " is busy (the pool grows by at most 1000 a second per thread, 16 attempts at once); idle ones are kept and reused"
          + " first, so a fast target gets few. Requests beyond the cap wait in the client and are reported"
          + " (default 1000, or --max-outstanding if lower).")
  Integer connections;

  @Option(names = "--max-outstanding", defaultValue = "10000",
      description = "Open loop: requests in flight or queued beyond which new ones are dropped by the client (default ${DEFAULT-VALUE}).")
  int maxOutstanding;

  @Option(names = "--requests", description = "Closed loop: send exactly this many requests.")
  Long requests;

  @Option(names = {"--concurrency", "--concurrent"}, description = "Closed loop: virtual clients (default 10).")
  Integer concurrency;

  @Option(names = {"--header", "-H"}, paramLabel = "'NAME: VALUE'", description = "Request header; repeatable.")
  List<String> headers = new ArrayList<>();

  @Option(names = {"--method", "-X"}, defaultValue = "GET", description = "HTTP method (default ${DEFAULT-VALUE}).")
  String method;

  @Option(names = "--body", paramLabel = "TEXT|@FILE", description = "Request body: the text, or the contents of FILE.")
  String body;

  @Option(names = "--cookie-jar", description = "Keep cookies per connection, so sticky sessions are exercised.")
  boolean cookieJar;

  @Option(names = "--timeout", defaultValue = "10s", description = "Per-request timeout (default ${DEFAULT-VALUE}).")
  String timeout;

  @Option(names = "--warmup", defaultValue = "1s",
      description = "First load a throwaway local server, not the target, for this long so the"
          + " client's code is compiled before measuring; 0 to skip (default ${DEFAULT-VALUE}).")
  String warmUp;

  @Option(names = "--served-by-header", paramLabel = "NAME", defaultValue = "X-Served-By",
      description = "Response header to split the result by (default ${DEFAULT-VALUE}).")
  String servedByHeader;

  @Option(names = "--json", description = "Print the result as one JSON object.")
  boolean json;

  @Option(names = "--report", paramLabel = "FILE", description = "Write an HTML report with charts per second (self-contained, no scripts).")
  Path report;

  @Option(names = "--csv", paramLabel = "FILE",
      description = "Write one row per second: second,sent,completed,errors,p50_ms,p99_ms,rate_target.")
  Path csv;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LoadOptions options;
    try {
      options = options();
    } catch (IllegalArgumentException e) {
      err.println("stc load: " + e.getMessage());
      err.flush();
      return 2;
    }
    LoadGenerator generator = new LoadGenerator(options);
    LoadProgress progress = new LoadProgress(err, LoadProgress.stderrIsTerminal(),
        options.closedLoop() ? options.requests() + " requests" : shortText(options.duration()));
    SecondsCsv rows = null;
    LoadHtml page = report == null ? null : new LoadHtml();
    SignalHandler previousInt = null;
    SignalHandler previousTerm = null;
    LoadResult result;
    try {
      if (csv != null) {
        rows = new SecondsCsv(csv);
      }
      Consumer<SecondSample> perSecond = rows == null ? progress : progress.andThen(rows);
      if (page != null) {
        perSecond = perSecond.andThen(page);
      }
      previousInt = Signal.handle(new Signal("INT"), s -> generator.stop());
      previousTerm = Signal.handle(new Signal("TERM"), s -> generator.stop());
      result = generator.run(perSecond);
    } catch (IllegalArgumentException e) {
      err.println("stc load: " + e.getMessage());
      err.flush();
      return 2;
    } catch (IOException e) {
      progress.done();
      err.println("stc load: " + io.stc.NetworkErrors.plain(e));
      err.flush();
      return 1;
    } finally {
      if (previousInt != null) {
        Signal.handle(new Signal("INT"), previousInt);
      }
      if (previousTerm != null) {
        Signal.handle(new Signal("TERM"), previousTerm);
      }
    }
    progress.done();
    out.print(json ? LoadReport.json(options, result) + System.lineSeparator() : LoadReport.text(options, result));
    out.flush();
    if (rows != null) {
      try {
        rows.close();
      } catch (IOException e) {
        err.println("stc load: cannot write " + csv + ": " + e.getMessage());
        err.flush();
        return 1;
      }
    }
    if (page != null) {
      try {
        Files.writeString(report, page.page(options, result), StandardCharsets.UTF_8);
      } catch (IOException e) {
        err.println("stc load: cannot write " + report + ": " + e.getMessage());
        err.flush();
        return 1;
      }
    }
    return 0;
  }

  /** Checks the flags together and builds the run's options; IllegalArgumentException on bad input. */
  LoadOptions options() {
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    if (report != null) {
      Path parent = report.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw new IllegalArgumentException("--report: directory " + parent + " does not exist");
      }
    }
    LoadOptions.Builder b = LoadOptions.builder(url)
        .method(method)
        .cookieJar(cookieJar)
        .timeout(HumanDuration.parse(timeout))
        .maxOutstanding(maxOutstanding)
        .servedByHeader(servedByHeader)
        .warmUp(HumanDuration.parse(warmUp));
    for (String h : headers) {
      int colon = h.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("--header: expected 'Name: value', got '" + h + "'");
      }
      b.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
    }
    if (body != null) {
      b.body(readBody(body));
    }
    if (requests != null) {
      for (String name : OPEN_ONLY) {
        if (parsed.hasMatchedOption(name)) {
          throw new IllegalArgumentException(name + " applies to the open loop and cannot be combined with --requests");
        }
      }
      b.requests(requests);
      if (concurrency != null) {
        b.connections(concurrency);
      }
    } else {
      if (concurrency != null) {
        throw new IllegalArgumentException("--concurrency applies to the closed loop: add --requests N");
      }
      RateTrace replay = trace.read(spec);
      if (replay != null) {
        b.trace(replay).seed(seed);
        if (traceTargets) {
          b.targets(replay.requestTargets(MAX_TARGETS));
        }
      } else if (traceTargets) {
        throw new IllegalArgumentException("--trace-targets needs --trace FILE (an access log)");
      } else {
        b.pattern(TrafficPattern.parse(pattern)).rate(rate).seed(seed);
        b.duration(HumanDuration.parse(duration));
      }
      if (connections != null) {
        b.connections(connections);
      }
    }
    return b.build();
  }

  private static byte[] readBody(String body) {
    if (!body.startsWith("@")) {
      return body.getBytes(StandardCharsets.UTF_8);
    }
    Path file = Path.of(body.substring(1));
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("--body: cannot read file " + file + " (" + e.getMessage() + ")");
    }
  }

  /** Short form of a duration for the progress line. */
  private static String shortText(java.time.Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }
}
