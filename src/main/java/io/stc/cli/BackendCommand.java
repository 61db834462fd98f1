package io.stc.cli;

import io.stc.backend.BackendOptions;
import io.stc.backend.BackendStartException;
import io.stc.backend.DemoBackend;
import io.stc.backend.InstanceModel;
import io.stc.config.HumanDuration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code stc backend}: runs a demo HTTP backend until SIGTERM or Ctrl-C. */
@Command(
    name = "backend",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a demo HTTP backend for tests and demos.",
      "",
      "Test endpoints: GET /health, POST /control/fail, POST /control/recover,",
      "GET /bytes/N (N filler bytes), GET /headers (request headers as JSON).",
      "Any other path answers JSON {server, method, path, requests, received}",
      "after --delay; ?delay=SECONDS and ?status=CODE override per request.",
      "",
    },
    sortOptions = false)
public final class BackendCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--port", required = true, description = "Port to listen on, 0 for any free port.")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--name", description = "Name reported in replies (default: backend-<port>).")
  String name;

  @Option(names = "--delay", defaultValue = "0", paramLabel = "SECONDS", description = "Delay before each answer (default: ${DEFAULT-VALUE}).")
  double delay;

  @Option(names = "--jitter", defaultValue = "0", paramLabel = "SECONDS", description = "Uniform +/- noise on the delay (default: ${DEFAULT-VALUE}).")
  double jitter;

  @Option(names = "--error-rate", defaultValue = "0", paramLabel = "FRACTION", description = "Fraction 0..1 of requests answered 500 (default: ${DEFAULT-VALUE}).")
  double errorRate;

  @Option(names = "--max-inflight", defaultValue = "0", paramLabel = "N", description = "Concurrent requests beyond which it answers 503; 0 = unlimited (default: ${DEFAULT-VALUE}).")
  int maxInflight;

  @Option(names = "--service-time", paramLabel = "DURATION",
      description = "The simulator's instance model instead of --delay: a request alone takes this long on average, each other in flight adds service-time / capacity, times the noise.")
  String serviceTime;

  @Option(names = "--capacity", paramLabel = "MIN-MAX", defaultValue = "2-5",
      description = "With --service-time: requests served before each more slows all, drawn once at start (default: ${DEFAULT-VALUE}, as in stc simulate).")
  String capacity;

  @Option(names = "--noise", paramLabel = "exp|none", defaultValue = "exp",
      description = "With --service-time: Exp(1) noise on every service time, or none (default: ${DEFAULT-VALUE}).")
  String noise;

  @Override
  public Integer call() throws InterruptedException {
    BackendOptions options;
    try {
      options = new BackendOptions(name, host, port, delay, jitter, errorRate, maxInflight);
      if (serviceTime != null) {
        int[] range = CapacityRange.parse("--capacity", capacity);
        int drawn = range[0] + ThreadLocalRandom.current().nextInt(range[1] - range[0] + 1);
        options = options.withModel(HumanDuration.parse(serviceTime).toNanos() / 1e9, drawn, InstanceModel.Noise.parse(noise));
      } else {
        for (String modelOnly : new String[] {"--capacity", "--noise"}) {
          if (spec.commandLine().getParseResult().hasMatchedOption(modelOnly)) {
            throw new IllegalArgumentException(modelOnly + " is part of the instance model: add --service-time"
                + (modelOnly.equals("--capacity") ? " (the limit beyond which it answers 503 is --max-inflight)" : ""));
          }
        }
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    DemoBackend backend = new DemoBackend(options);
    // Covers the ways out that are not these signals (e.g. SIGHUP): the server still closes.
    Runtime.getRuntime().addShutdownHook(new Thread(backend::close, "backend-shutdown"));
    int actualPort;
    try {
      actualPort = backend.start();
    } catch (BackendStartException e) {
      spec.commandLine().getErr().println("stc backend: " + e.getMessage());
      return 1;
    }
    // Before the line that says it is up: a SIGTERM sent after it stops it in order (exit 0).
    java.util.concurrent.CountDownLatch stop = Signals.install();
    String urlHost = host.contains(":") ? "[" + host + "]" : host;
    System.out.println("backend " + backend.name() + " listening on http://" + urlHost + ":" + actualPort);
    System.out.flush();
    stop.await();
    backend.close();
    return 0;
  }
}
