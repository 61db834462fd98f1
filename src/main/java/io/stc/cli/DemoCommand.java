package io.stc.cli;

import io.stc.StcServer;
import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.config.StcConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code stc demo}: the whole product on this machine with no set-up. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run stc in front of demo backends on this machine; Ctrl+C stops everything.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--port", description = "Port of the load balancer (default ${DEFAULT-VALUE}).", defaultValue = "8080")
  int port;

  @Option(names = "--backends", description = "How many demo backends to start (default ${DEFAULT-VALUE}).", defaultValue = "3")
  int backends;

  @Option(names = "--algorithm", description = "Balancing algorithm (default ${DEFAULT-VALUE}).", defaultValue = "round_robin")
  String algorithm;

  @Override
  public Integer call() throws Exception {
    if (backends < 1 || backends > 32) {
      System.err.println("stc demo: --backends must be 1..32, got " + backends);
      return 2;
    }
    List<DemoBackend> started = new ArrayList<>();
    StcServer server = null;
    try {
      List<StcConfig.BackendConfig> configs = new ArrayList<>();
      for (int i = 0; i < backends; i++) {
        // Backends of different speeds, so latency-aware algorithms have something to see.
        DemoBackend b = DemoBackend.started(BackendOptions.defaults().withName("demo-" + (i + 1)).withDelay(0.01 * (i + 1), 0.005));
        started.add(b);
        configs.add(new StcConfig.BackendConfig("127.0.0.1", b.port(), 1));
      }
      StcConfig config =
          StcConfig.defaults().withHost("127.0.0.1").withPort(port).withAlgorithm(algorithm).withBackends(configs);
      server = new StcServer(config);
      int actual = server.start();
      System.out.printf("stc demo: load balancer on http://127.0.0.1:%d in front of %d backends (%s)%n", actual, backends, algorithm);
      System.out.printf("try: curl -i http://127.0.0.1:%d/hello    (Ctrl+C stops everything)%n", actual);
      System.out.flush();
      Signals.awaitTermination();
      return 0;
    } catch (IllegalArgumentException e) {
      System.err.println("stc demo: " + e.getMessage());
      return 2;
    } finally {
      if (server != null) {
        server.close(java.time.Duration.ofSeconds(5));
      }
      started.forEach(DemoBackend::close);
    }
  }
}
