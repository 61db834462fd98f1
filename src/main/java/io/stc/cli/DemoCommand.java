package io.stc.cli;

import io.stc.StcServer;
import io.stc.config.AutoscaleConfig;
import io.stc.config.StcConfig;
import io.stc.scale.AutoscalerStatus;
import io.stc.traffic.LoadGenerator;
import io.stc.traffic.LoadOptions;
import io.stc.traffic.SecondSample;
import io.stc.traffic.TrafficPattern;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stc demo}: the whole product on this machine with no set-up: the balancer, the admin API
 * and dashboard, instances started by the process provider and scaled by the autoscaler, a burst
 * of generated traffic, and the live terminal view.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run stc with autoscaled demo instances, generated traffic and the live view; Ctrl+C stops everything.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "8080", description = "Load balancer port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--admin-port", defaultValue = "9090", description = "Admin API and dashboard port (default ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(names = "--pattern", defaultValue = "burst", description = "Traffic pattern: steady, burst, gradual, random, spike, sine (default ${DEFAULT-VALUE}).")
  String pattern;

  @Option(names = "--rate", defaultValue = "150", description = "Base request rate of the pattern, req/s (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--duration", defaultValue = "10m", description = "How long traffic runs (default ${DEFAULT-VALUE}); the demo stays up after.")
  String duration;

  @Option(names = "--policy", defaultValue = "slo", description = "Scaling policy: slo, concurrency, target, threshold, rps (default ${DEFAULT-VALUE}).")
  String policy;

  @Option(names = "--algorithm", defaultValue = "power_of_two", description = "Balancing algorithm (default ${DEFAULT-VALUE}).")
  String algorithm;

  @Option(names = "--min", defaultValue = "2", description = "Fewest instances (default ${DEFAULT-VALUE}).")
  int min;

  @Option(names = "--max", defaultValue = "8", description = "Most instances (default ${DEFAULT-VALUE}).")
  int max;

  @Option(names = "--tls", description = "Serve HTTPS (HTTP/2 and HTTP/1.1) with a self-signed certificate made in the state directory; generated traffic is then off.")
  boolean tls;

  @Option(names = "--no-traffic", description = "Do not generate traffic.")
  boolean noTraffic;

  @Option(names = "--no-top", description = "Do not show the live terminal view; print a status line every 5 s instead.")
  boolean noTop;

  @Option(names = "--provider", defaultValue = "process", paramLabel = "KIND",
      description = "Where instances come from: process (this stc's demo backend, default) or docker (containers of --image).")
  String provider;

  @Option(names = "--image", paramLabel = "IMAGE", description = "With --provider docker: the image each instance runs (its own command).")
  String image;

  @Option(names = "--container-port", defaultValue = "8080", paramLabel = "PORT",
      description = "With --provider docker: the port the image's service listens on (default ${DEFAULT-VALUE}).")
  int containerPort;

  @Override
  public Integer call() throws Exception {
    StcConfig config;
    TrafficPattern trafficPattern;
    Duration trafficDuration;
    try {
      trafficPattern = TrafficPattern.parse(pattern);
      trafficDuration = io.stc.config.HumanDuration.parse(duration);
      if (!(rate > 0 && rate <= 100_000)) {
        throw new IllegalArgumentException("--rate must be above 0 and at most 100000, got " + rate);
      }
      if (min < 1 || max < min || max > 64) {
        throw new IllegalArgumentException("--min and --max must satisfy 1 <= min <= max <= 64, got " + min + ", " + max);
      }
      if (!provider.equals("process") && !provider.equals("docker")) {
        throw new IllegalArgumentException("--provider must be process or docker, got '" + provider + "'");
      }
      if (provider.equals("docker") && (image == null || image.isBlank())) {
        throw new IllegalArgumentException("--provider docker needs --image IMAGE (a container image serving HTTP on --container-port)");
      }
      if (provider.equals("process") && image != null) {
        throw new IllegalArgumentException("--image is for --provider docker");
      }
      if (containerPort < 1 || containerPort > 65535) {
        throw new IllegalArgumentException("--container-port must be 1..65535, got " + containerPort);
      }
      config = config();
      if (tls) {
        io.stc.proxy.SelfSignedCertificate.PemFiles pem =
            io.stc.proxy.SelfSignedCertificate.ensure(java.nio.file.Path.of(config.stateDir()));
        config = config.withTls(new io.stc.config.TlsConfig(pem.cert().toString(), pem.key().toString()));
      }
    } catch (IllegalArgumentException | io.stc.config.ConfigException | java.io.IOException e) {
      System.err.println("stc demo: " + e.getMessage());
      return 2;
    }

    CountDownLatch stop = Signals.install();
    // The dashboard's address first, as soon as it answers: it shows the instances coming up.
    StcServer server = new StcServer(config).whenAdminListening(adminPort -> {
      System.out.println("dashboard:  http://127.0.0.1:" + adminPort + "/");
      System.out.flush();
      System.err.printf("stc demo: starting %d %s ...%n", min, provider.equals("docker") ? "containers of " + image : "instances");
    });
    LoadGenerator load = null;
    Thread loadThread = null;
    Thread topThread = null;
    try {
      int actual = server.start();
      String adminUrl = "http://127.0.0.1:" + server.adminPort();
      String scheme = tls ? "https" : "http";
      System.out.println("balancer:   " + scheme + "://127.0.0.1:" + actual + "/" + (tls ? "   (self-signed: curl -k)" : ""));
      System.out.println("terminal:   stc top --url " + adminUrl + "   (Ctrl+C stops everything)");
      System.out.flush();

      AtomicReference<SecondSample> lastSecond = new AtomicReference<>();
      if (tls && !noTraffic) {
        System.out.println("traffic:    off (the generator speaks plain HTTP only); try: curl -k --http2 " + scheme + "://127.0.0.1:" + actual + "/");
      }
      if (!noTraffic && !tls) {
        load = new LoadGenerator(
            LoadOptions.builder("http://127.0.0.1:" + actual + "/")
                .pattern(trafficPattern)
                .rate(rate)
                .duration(trafficDuration)
                .seed(1)
                .connections(128)
                .build());
        LoadGenerator generator = load;
        loadThread = new Thread(() -> {
          try {
            generator.run(lastSecond::set);
          } catch (Exception e) {
            System.err.println("stc demo: traffic stopped: " + e.getMessage());
          }
        }, "demo-traffic");
        loadThread.setDaemon(true);
        loadThread.start();
      }

      if (!noTop && System.console() != null) {
        TopCommand top = new TopCommand();
        top.url = adminUrl;
        top.interval = 1;
        topThread = new Thread(() -> {
          try {
            top.call();
          } catch (Exception e) {
            System.err.println("stc demo: live view stopped: " + e.getMessage());
          } finally {
            // Quitting the live view ends the demo.
            stop.countDown();
          }
        }, "demo-top");
        topThread.start();
        stop.await();
      } else {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        while (!stop.await(5, java.util.concurrent.TimeUnit.SECONDS)) {
          out.println(statusLine(server, lastSecond.get()));
        }
      }
      return 0;
    } catch (IllegalStateException e) {
      // Ports in use and the like: say so plainly.
      System.err.println("stc demo: " + e.getMessage());
      return 1;
    } finally {
      if (topThread != null) {
        topThread.interrupt();
        topThread.join(5_000);
      }
      if (load != null) {
        load.stop();
        loadThread.join(5_000);
      }
      System.err.println("stc demo: stopping (instances are drained and stopped) ...");
      server.close(Duration.ofSeconds(5));
    }
  }

  private StcConfig config() {
    AutoscaleConfig d = AutoscaleConfig.defaults(10);
    AutoscaleConfig.Provider instances;
    if (provider.equals("docker")) {
      instances = AutoscaleConfig.Provider.docker(io.stc.config.DockerConfig.of(image.trim(), containerPort), d.provider().stopTimeout());
    } else {
      List<String> command = new ArrayList<>(AutoscaleConfig.Provider.demoBackendCommand());
      // Each instance takes ~50 ms a request, so a burst needs more of them.
      command.addAll(List.of("--delay", "0.05", "--jitter", "0.02"));
      instances = new AutoscaleConfig.Provider(AutoscaleConfig.ProviderKind.PROCESS, command, null, d.provider().stopTimeout(), List.of());
    }
    AutoscaleConfig.Policy p = AutoscaleConfig.Policy.valueOf(policy.trim().toUpperCase(Locale.ROOT));
    AutoscaleConfig autoscale = new AutoscaleConfig(
        true, instances, p, min, max, d.interval(), d.maxInflight(),
        AutoscaleConfig.defaultTarget(p, d.metric(), d.maxInflight(), d.utilization(), d.rpsUp()),
        d.metric(), d.utilization(), d.tolerance(),
        // Shorter windows than production so a demo shows scaling both ways within minutes.
        Duration.ofSeconds(20), d.panicWindow(), d.panicThreshold(), Duration.ofSeconds(30), d.maxStepUp(),
        d.thresholdUp(), d.thresholdDown(), d.rpsUp(), d.rpsDown(), d.cooldownUp(), Duration.ofSeconds(10),
        d.maxScaleDownRate(), d.drainTimeout(), d.startTimeout());
    StcConfig base = StcConfig.defaults();
    return base
        .withHost("127.0.0.1")
        .withPort(port)
        .withAlgorithm(io.stc.balance.Algorithm.parse(algorithm).configName())
        .withCapacity(new StcConfig.Capacity(10, 10_000, Duration.ofSeconds(10)))
        .withAdmin(new StcConfig.Admin(true, "127.0.0.1", adminPort, null, List.of()))
        .withAutoscale(autoscale);
  }

  private static String statusLine(StcServer server, SecondSample s) {
    AutoscalerStatus a = server.autoscaler().status();
    String traffic = s == null ? "no traffic" : String.format(Locale.ROOT, "%.0f req/s sent, p99 %.0f ms, errors %d",
        (double) s.sent(), s.p99Millis(), s.totalErrors());
    return String.format(Locale.ROOT, "instances %d (desired %d, pending %d, draining %d), queue %d | %s%s",
        a.current(), a.desired(), a.pending(), a.draining(), server.proxy().queueDepth(), traffic,
        a.lastEvent() == null ? "" : " | last: " + a.lastEvent().message());
  }
}
