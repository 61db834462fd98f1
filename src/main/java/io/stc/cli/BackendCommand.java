package io.stc.cli;

import io.stc.backend.BackendOptions;
import io.stc.backend.BackendStartException;
import io.stc.backend.DemoBackend;
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

  @Option(names = "--capacity", defaultValue = "0", paramLabel = "N", description = "Concurrent requests beyond which it answers 503; 0 = unlimited (default: ${DEFAULT-VALUE}).")
  int capacity;

  @Override
  public Integer call() throws InterruptedException {
    BackendOptions options;
    try {
      options = new BackendOptions(name, host, port, delay, jitter, errorRate, capacity);
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
    String urlHost = host.contains(":") ? "[" + host + "]" : host;
    System.out.println("backend " + backend.name() + " listening on http://" + urlHost + ":" + actualPort);
    System.out.flush();
    Signals.awaitTermination();
    backend.close();
    return 0;
  }
}
