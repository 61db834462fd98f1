package io.stc.cli;

import io.stc.StcServer;
import io.stc.admin.AdminServer;
import io.stc.balance.Algorithm;
import io.stc.config.AutoscaleConfig;
import io.stc.config.BackendSpec;
import io.stc.config.ConfigException;
import io.stc.config.ConfigLoader;
import io.stc.config.ServersFile;
import io.stc.config.StcConfig;
import io.stc.proxy.ListenerHandoff;
import io.stc.proxy.ProxyServer;
import io.stc.scale.Handover;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code stc serve}: runs the load balancer until SIGTERM or Ctrl+C. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Run the load balancer in front of a pool of backends.")
public final class ServeCommand implements Callable<Integer> {
  private static final java.time.Duration HANDOFF_TIMEOUT = java.time.Duration.ofSeconds(10);

  @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON configuration; flags override it.")
  Path config;

  @Option(names = "--port", description = "Listening port (default 8080; 0 picks a free one).")
  Integer port;

  @Option(names = "--host", description = "Listening address (default 0.0.0.0).")
  String host;

  @Option(names = "--algorithm", description = "Balancing algorithm (default round_robin; least_connections with autoscale): ${COMPLETION-CANDIDATES}.",
      completionCandidates = AlgorithmNames.class)
  String algorithm;

  @Option(names = "--backend", paramLabel = "HOST:PORT[:WEIGHT]", description = "A backend; repeatable.")
  List<String> backends = new ArrayList<>();

  @Option(names = "--servers", paramLabel = "FILE", description = "JSON list of backends: [{\"host\":...,\"port\":...,\"weight\":...}].")
  Path servers;

  @Option(names = "--io-threads", description = "Event loops for the data plane (default: one per core).")
  Integer ioThreads;

  @Option(names = "--transport", paramLabel = "NAME",
      description = "Socket transport of the data plane: auto (default: io_uring, else epoll, else nio), io_uring, epoll or nio.")
  String transport;

  @Option(names = "--admin-port", description = "Admin API and metrics port (default 9090; 0 picks a free one).")
  Integer adminPort;

  @Option(names = "--admin-host", description = "Admin listening address (default 127.0.0.1; any other needs a token).")
  String adminHost;

  @Option(names = "--health-path", paramLabel = "PATH",
      description = "Path the health checks GET on each backend (default /health); a 2xx or 3xx answer passes.")
  String healthPath;

  @Option(names = "--takeover",
      description = "Take over the listening sockets of the stc running with the same state_dir (and its autoscaled "
          + "process or docker instances, as they run), then let it drain and exit: a restart or an upgrade that refuses no "
          + "connection (Linux, epoll).")
  boolean takeover;

  @Option(names = "--no-health-checks", description = "Trust every backend without probing it (failures still open its circuit breaker).")
  boolean noHealthChecks;

  @Option(names = "--check",
      description = "Check the configuration (file, flags, the files it names, the transport) and exit: 0 when stc would start with it, "
          + "2 naming file:line:key when not; nothing is started or written.")
  boolean check;

  @Override
  public Integer call() throws Exception {
    StcConfig cfg;
    try {
      cfg = resolve();
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("stc serve: " + e.getMessage());
      return 2;
    }
    if (check && takeover) {
      System.err.println("stc serve: --check starts nothing, so there is nothing to --takeover: use one of them");
      return 2;
    }
    if (cfg.backends().isEmpty() && !cfg.autoscale().enabled()) {
      System.err.println("stc serve: warning: no backends: every request is answered 503 until one is added "
          + "(--backend HOST:PORT, --servers FILE, backends: in --config, or POST /api/backends on the admin API)");
    }
    String ignored = Algorithm.parse(cfg.algorithm()).ignoredWeights(cfg.backends().stream().map(StcConfig.BackendConfig::weight).toList());
    if (ignored != null) {
      System.err.println("stc serve: warning: " + ignored);
    }
    if (check) {
      return check(cfg);
    }
    StcServer server = new StcServer(cfg);
    if (config != null) {
      server.reloadFrom(this::resolve);
    }
    Path handoff = Path.of(cfg.stateDir(), ListenerHandoff.SOCKET);
    // Held until the other process is told to go: if this one fails first, the other gets its admin
    // port back, and scales its instances again.
    List<ListenerHandoff.Hold> holds = new ArrayList<>();
    if (takeover) {
      try {
        server.adoptListeners(ListenerHandoff.takeListeners(handoff, HANDOFF_TIMEOUT));
        AutoscaleConfig.ProviderKind kind = cfg.autoscale().provider().kind();
        if (cfg.autoscale().enabled() && (kind == AutoscaleConfig.ProviderKind.PROCESS || kind == AutoscaleConfig.ProviderKind.DOCKER)) {
          // Its instances go on serving, in this process's pool from its start: none is stopped or
          // started for the change. Asked first: an earlier version that cannot is refused before
          // anything of it was held.
          ListenerHandoff.Hold instances = ListenerHandoff.holdInstances(handoff, HANDOFF_TIMEOUT);
          holds.add(instances);
          List<Handover> handed = new ArrayList<>();
          for (String line : instances.lines()) {
            handed.add(Handover.fromJson(line));
          }
          server.adoptInstances(handed);
        }
        if (cfg.admin().enabled()) {
          holds.add(ListenerHandoff.holdAdmin(handoff, HANDOFF_TIMEOUT));
        }
      } catch (IOException e) {
        holds.forEach(ListenerHandoff.Hold::close);
        System.err.println("stc serve: --takeover: " + e.getMessage());
        return 1;
      }
    }
    int actualPort;
    try {
      actualPort = server.start();
    } catch (Exception e) {
      System.err.println("stc serve: cannot start: " + e.getMessage());
      server.close(java.time.Duration.ZERO);
      holds.forEach(ListenerHandoff.Hold::close);
      return 1;
    }
    // Before the line that says stc is up: a signal sent after it must reload (HUP) or stop in
    // order (TERM, INT); until these handlers are in, the JVM's own answer is to shut down.
    if (!Signals.onHangup(server::reload)) {
      System.err.println("stc serve: warning: SIGHUP is ignored by this process (started under nohup?): "
          + "reload with POST /api/reload instead");
    }
    java.util.concurrent.CountDownLatch stop = Signals.install();
    if (takeover) {
      try {
        ListenerHandoff.ask(handoff, "release", HANDOFF_TIMEOUT);
        server.tookOver();
      } catch (ListenerHandoff.NoneAnswers e) {
        // It went away (killed) after it handed its instances over: they are this process's now.
        server.tookOver();
        System.err.println("stc serve: warning: --takeover: the other stc is gone (" + e.getMessage() + ")");
      } catch (IOException e) {
        System.err.println("stc serve: warning: --takeover: the other stc was not told to stop (" + e.getMessage()
            + "); both accept on the same sockets until it is stopped");
      }
      holds.forEach(ListenerHandoff.Hold::close);
    }
    server.serveHandoff(stop::countDown);
    System.out.printf(
        "stc listening on %s://%s:%d (%d backends, %s)%n",
        cfg.tls().enabled() ? "https" : "http", hostForUrl(cfg.host()), actualPort, cfg.backends().size(), cfg.algorithm());
    if (server.adminPort() >= 0) {
      System.out.printf("admin listening on http://%s:%d%n", hostForUrl(cfg.admin().host()), server.adminPort());
    }
    System.out.flush();
    stop.await();
    server.close();
    return 0;
  }

  /**
   * What {@code --check} prints: the configuration stc would run, as the start-up line names it,
   * once what start-up alone finds (the transport) has been asked too.
   */
  private int check(StcConfig cfg) {
    String transport;
    try {
      transport = ProxyServer.transportName(cfg.transport());
    } catch (IllegalStateException e) {
      System.err.println("stc serve: " + e.getMessage());
      return 1;
    }
    Path state = Path.of(cfg.stateDir()).toAbsolutePath();
    if (!writable(state)) {
      // stc runs without it (a read-only root file system), but what it keeps there does not last.
      System.err.println("stc serve: warning: state_dir " + state + " cannot be written: API changes, the sticky cookie key, "
          + "TLS ticket keys and --takeover's socket will not be kept");
    }
    String source = config == null ? "flags" : config.toString();
    StringBuilder line = new StringBuilder(source).append(": configuration ok: ")
        .append(cfg.tls().enabled() ? "https://" : "http://").append(hostForUrl(cfg.host())).append(':').append(cfg.port())
        .append(", ").append(cfg.backends().size()).append(cfg.backends().size() == 1 ? " backend, " : " backends, ")
        .append(cfg.algorithm()).append(", transport ").append(transport);
    if (cfg.autoscale().enabled()) {
      line.append(", autoscale ").append(cfg.autoscale().provider().kind().name().toLowerCase(java.util.Locale.ROOT)).append(' ')
          .append(cfg.autoscale().min()).append("..").append(cfg.autoscale().max());
      for (AutoscaleConfig.ScheduleWindow w : cfg.autoscale().schedule()) {
        line.append(", min ").append(w.min()).append(" from ").append(w);
      }
    }
    if (cfg.mirror().enabled()) {
      line.append(", mirror ").append(io.stc.pool.Backend.idOf(cfg.mirror().host(), cfg.mirror().port()))
          .append(" (").append(percent(cfg.mirror().percent())).append("%)");
    }
    line.append(cfg.admin().enabled() ? ", admin http://" + hostForUrl(cfg.admin().host()) + ":" + cfg.admin().port() : ", admin off");
    System.out.println(line);
    return 0;
  }

  /** {@code 25} rather than {@code 25.0}. */
  private static String percent(double p) {
    return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
  }

  /** Whether {@code dir} is a writable directory, or could be made in the nearest directory that exists above it. */
  private static boolean writable(Path dir) {
    Path p = dir;
    while (p != null && !java.nio.file.Files.exists(p)) {
      p = p.getParent();
    }
    return p != null && java.nio.file.Files.isDirectory(p) && java.nio.file.Files.isWritable(p);
  }

  /** The config file (or defaults) with flags applied on top. */
  StcConfig resolve() {
    StcConfig cfg = config == null ? StcConfig.defaults() : ConfigLoader.load(config);
    if (host != null) {
      cfg = cfg.withHost(host);
    }
    if (port != null) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("--port: expected 0..65535, got " + port);
      }
      cfg = cfg.withPort(port);
    }
    if (ioThreads != null) {
      if (ioThreads < 0 || ioThreads > StcConfig.MAX_IO_THREADS) {
        throw new IllegalArgumentException("--io-threads: expected 0 (one per core) to " + StcConfig.MAX_IO_THREADS + ", got " + ioThreads);
      }
      cfg = cfg.withIoThreads(ioThreads);
    }
    if (transport != null) {
      try {
        cfg = cfg.withTransport(StcConfig.transport(transport));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--transport: " + e.getMessage());
      }
    }
    if (algorithm != null) {
      cfg = cfg.withAlgorithm(Algorithm.parse(algorithm).configName());
    }
    if (adminPort != null) {
      if (adminPort < 0 || adminPort > 65535) {
        throw new IllegalArgumentException("--admin-port: expected 0..65535, got " + adminPort);
      }
      cfg = cfg.withAdmin(cfg.admin().withPort(adminPort));
    }
    if (adminHost != null) {
      cfg = cfg.withAdmin(cfg.admin().withHost(adminHost.trim()));
    }
    if (healthPath != null) {
      try {
        cfg = cfg.withHealth(cfg.health().withPath(ConfigLoader.urlPath(healthPath.trim())));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--health-path: " + e.getMessage());
      }
    }
    if (noHealthChecks) {
      cfg = cfg.withHealth(cfg.health().withEnabled(false));
    }
    String envToken = System.getenv("STC_ADMIN_TOKEN");
    if (cfg.admin().token() == null && envToken != null && !envToken.isBlank()) {
      cfg = cfg.withAdmin(cfg.admin().withToken(envToken.trim()));
    }
    AdminServer.checkExposure(cfg.admin());
    if (servers != null || !backends.isEmpty()) {
      List<StcConfig.BackendConfig> list = new ArrayList<>();
      if (servers != null) {
        list.addAll(ServersFile.load(servers));
      }
      for (String spec : backends) {
        list.add(BackendSpec.parse(spec));
      }
      cfg = cfg.withBackends(list);
    }
    return cfg;
  }

  private static String hostForUrl(String host) {
    return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  /** Algorithm names for the help text. */
  static final class AlgorithmNames extends ArrayList<String> {
    AlgorithmNames() {
      for (Algorithm a : Algorithm.values()) {
        add(a.configName());
      }
    }
  }
}
