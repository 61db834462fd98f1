package io.stc;

import io.stc.admin.ControlPlane;
import io.stc.admin.StateFile;
import io.stc.balance.Algorithm;
import io.stc.balance.Balancer;
import io.stc.balance.BalancerSettings;
import io.stc.balance.HashKey;
import io.stc.health.CircuitBreakers;
import io.stc.session.SessionAffinity;
import io.stc.session.StickySessions;
import io.stc.config.AutoscaleConfig;
import io.stc.config.StcConfig;
import io.stc.health.HealthChecker;
import io.stc.health.PassiveHealth;
import io.stc.kubernetes.KubernetesProvider;
import io.stc.kubernetes.KubernetesScaling;
import io.stc.limit.TokenBucketLimiter;
import io.stc.pool.BackendState;
import io.stc.pool.NameRefresh;
import io.stc.pool.Upstream;
import io.stc.proxy.ListenerHandoff;
import io.stc.proxy.ProxyFailure;
import io.stc.proxy.ProxyServer;
import io.stc.scale.Autoscaler;
import io.stc.scale.DockerProvider;
import io.stc.scale.Handover;
import io.stc.scale.InstanceProvider;
import io.stc.scale.ProcessProvider;
import io.stc.scale.QueueGauge;
import io.stc.scale.StaticProvider;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running stc: the upstream pool, its health checks, its autoscaler, the data plane and the control plane, wired from one config. */
public final class StcServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StcServer.class);
  private static final long NAMES_REFRESH_MILLIS = 5_000;

  private final StcConfig config;
  private final Clock clock;
  private final Upstream upstream;
  private Vertx vertx;
  private HealthChecker health;
  private CircuitBreakers breakers;
  private Autoscaler autoscaler;
  private KubernetesScaling kubernetes;
  // Read by the autoscaler's thread for the queue depth.
  private volatile ProxyServer proxy;
  private StickySessions sticky = StickySessions.NONE;
  private ControlPlane control;
  private Supplier<StcConfig> configSource;
  private java.util.function.IntConsumer adminListening;
  private NameRefresh.Resolver resolver = NameRefresh.SYSTEM;
  private int port;
  private java.util.List<Integer> adopted = java.util.List.of();
  private java.util.List<Handover> handed = java.util.List.of();
  /** Another stc with this state directory runs and hands its instances over: what it keeps is not left behind. */
  private boolean takingOver;
  private ListenerHandoff handoff;

  public StcServer(StcConfig config) {
    this(config, Clock.SYSTEM);
  }

  public StcServer(StcConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.upstream = new Upstream(clock);
  }

  /** Told the admin port as soon as the admin listener is up, before any instance starts; call before {@link #start()}. */
  public StcServer whenAdminListening(java.util.function.IntConsumer listener) {
    this.adminListening = listener;
    return this;
  }

  /** Accepts on these listening sockets, handed over by another stc ({@link ListenerHandoff}), instead of binding; call before {@link #start()}. */
  public StcServer adoptListeners(java.util.List<Integer> fds) {
    this.adopted = java.util.List.copyOf(fds);
    return this;
  }

  /** Starts from the autoscaled instances another stc handed over, instead of new ones; call before {@link #start()}. */
  public StcServer adoptInstances(java.util.List<Handover> instances) {
    this.handed = java.util.List.copyOf(instances);
    this.takingOver = true;
    return this;
  }

  /** The stc that handed its instances over has let them go: they are this process's to stop now. */
  public void tookOver() {
    if (autoscaler != null) {
      autoscaler.provider().keepAdopted();
    }
  }

  /**
   * Serves listener handoffs to a new stc process at {@code state_dir/stc.sock} (see
   * {@link ListenerHandoff}); {@code release} is how this process is told to stop once the new
   * one accepts. Call after {@link #start()}.
   */
  public void serveHandoff(Runnable release) {
    handoff = ListenerHandoff.serve(Path.of(config.stateDir(), ListenerHandoff.SOCKET), new ListenerHandoff.Host() {
      @Override
      public java.util.List<Integer> listenerFds() {
        return proxy.listenerFds();
      }

      @Override
      public void closeAdmin() {
        control.closeAdmin();
      }

      @Override
      public void reopenAdmin() {
        control.reopenAdmin();
      }

      @Override
      public java.util.List<String> holdInstances() {
        if (autoscaler == null) {
          return java.util.List.of();
        }
        try {
          return autoscaler.hold().stream().map(Handover::toJson).toList();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return java.util.List.of();
        }
      }

      @Override
      public void resumeInstances() {
        if (autoscaler != null) {
          autoscaler.resume();
        }
      }

      @Override
      public void release() {
        if (autoscaler != null) {
          try {
            autoscaler.handOver();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        release.run();
      }
    });
  }

  /** How backends' host names are looked up (the JVM's resolver unless told); call before {@link #start()}. */
  public StcServer resolveNamesWith(NameRefresh.Resolver names) {
    this.resolver = names;
    return this;
  }

  /** Where a reload (SIGHUP, {@code POST /api/reload}) reads the configuration from; call before {@link #start()}. */
  public StcServer reloadFrom(Supplier<StcConfig> source) {
    this.configSource = source;
    return this;
  }

  /** Starts everything and returns the data plane's port. */
  public int start() throws InterruptedException {
    // First, so a bad state directory fails the start before anything is listening.
    sticky = SessionAffinity.from(config.sticky(), Path.of(config.stateDir()), clock);
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2));
    // Changes operators made through the API last time go on top of the config.
    StateFile state = StateFile.load(Path.of(config.stateDir()));
    StcConfig effective = state.applyTo(config);
    boolean checking = config.health().enabled();
    // With health checks on, a backend earns its place with a passing probe; without, it is trusted.
    BackendState initial = checking ? BackendState.DOWN : BackendState.UP;
    for (StcConfig.BackendConfig b : effective.backends()) {
      io.stc.pool.Backend added = upstream.add(b.id(), b.host(), b.port(), b.weight(), state.isMaint(b.id()) ? BackendState.MAINT : initial,
          b.protocol(), b.backup());
      upstream.setMaxInflight(added, b.maxInflight());
    }
    // Backends named by host name follow the name, one backend per address it has: looked up
    // again every five seconds (Envoy's DNS refresh), on a worker thread, never on an event loop.
    NameRefresh names = new NameRefresh(upstream, resolver, initial);
    names.refresh();
    vertx.setPeriodic(NAMES_REFRESH_MILLIS, id -> vertx.executeBlocking(names::refresh, false));
    PassiveHealth passive = PassiveHealth.NONE;
    if (checking) {
      health = new HealthChecker(vertx, upstream, config.health(), config.tls());
      health.start();
      health.awaitFirstResults(config.health().timeout().plusSeconds(5));
      passive = health;
    }
    if (config.circuitBreaker().enabled()) {
      breakers = new CircuitBreakers(config.circuitBreaker(), upstream, clock, vertx);
      breakers.start();
    }
    if (config.autoscale().enabled()) {
      InstanceProvider provider = providerFor(config.autoscale(), config.stateDir(), takingOver);
      StickySessions sessions = sticky;
      autoscaler = new Autoscaler(config.autoscale(), upstream, provider, checking, clock, queueGauge())
          .withSessions(sessions::sessions)
          .adopting(handed);
      if (provider instanceof KubernetesProvider k) {
        kubernetes = KubernetesScaling.attach(
            autoscaler, k, KubernetesScaling.identity(), config.admin().token(), config.autoscale().interval());
      }
    }
    Algorithm algorithm = Algorithm.parse(effective.algorithm());
    proxy = new ProxyServer(config, upstream, newBalancer(algorithm), passive, breakers, sticky, clock);
    if (config.rateLimit().enabled()) {
      proxy.rateLimiter(new TokenBucketLimiter(config.rateLimit(), clock));
    }
    try {
      control = new ControlPlane(
          vertx, config, upstream, proxy, health, breakers, config.sticky().enabled() ? sticky : null, autoscaler,
          state, clock, algorithm, this::newBalancer, configSource);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot open the access log " + config.accessLog().path() + ": " + e.getMessage(), e);
    }
    // The admin listener first: the dashboard is up while the first instances start, and a port in
    // use stops the start before any instance runs.
    try {
      control.start();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(
          "admin listener on " + config.admin().host() + ":" + config.admin().port() + ": " + NetworkErrors.plain(e), e);
    }
    if (adminListening != null && control.adminPort() >= 0) {
      adminListening.accept(control.adminPort());
    }
    if (autoscaler != null) {
      Autoscaler a = autoscaler;
      proxy.addListener(ended -> a.latency().record(ended.latencyNanos()));
      // Once the control plane listens for its events, so the first scale-ups reach the event log; before
      // the data plane opens, so the first requests find the minimum number of instances ready.
      autoscaler.start();
      if (kubernetes != null) {
        kubernetes.start();
      }
    }
    proxy.adopt(adopted);
    try {
      port = proxy.start();
    } catch (InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      // A bind failure, rethrown unchecked by Netty: say which listener, in plain words.
      throw new IllegalStateException("listener on " + config.host() + ":" + config.port() + ": " + NetworkErrors.plain(e), e);
    }
    control.dataPlaneListening(port);
    return port;
  }

  /** A fresh balancer for the algorithm, with this server's hash key and slow-start settings. */
  public Balancer newBalancer(String algorithm) {
    return newBalancer(Algorithm.parse(algorithm));
  }

  private Balancer newBalancer(Algorithm algorithm) {
    BalancerSettings settings = new BalancerSettings(HashKey.parse(config.hashKey()), config.slowStart());
    return algorithm.newBalancer(clock, settings);
  }

  /** The admin listener's port, or -1 when it is off. */
  public int adminPort() {
    return control == null ? -1 : control.adminPort();
  }

  public ControlPlane control() {
    return control;
  }

  /** Re-reads the configuration and applies backends, weights and algorithm; a bad file is logged and ignored. */
  public void reload() {
    if (control != null) {
      control.reload();
    }
  }

  public CircuitBreakers breakers() {
    return breakers;
  }

  /** Session affinity as configured ({@link StickySessions#NONE} when off); live once started. */
  public StickySessions sticky() {
    return sticky;
  }

  public int port() {
    return port;
  }

  public Upstream upstream() {
    return upstream;
  }

  public ProxyServer proxy() {
    return proxy;
  }

  /**
   * The provider the config asks for; process logs default to {@code <stateDir>/instances}, and the
   * containers a docker provider leaves behind are known by that directory. Chosen here, where both
   * {@code scale} and {@code kubernetes} are known, so that {@code kubernetes} depends on
   * {@code scale} and not the other way round.
   */
  private static InstanceProvider providerFor(AutoscaleConfig config, String stateDir, boolean takingOver) {
    AutoscaleConfig.Provider p = config.provider();
    return switch (p.kind()) {
      case PROCESS -> new ProcessProvider(p.command(), p.logDir(stateDir), config.startTimeout(), p.stopTimeout());
      case STATIC -> new StaticProvider(p.backends());
      case KUBERNETES -> KubernetesProvider.connect(p.kubernetes(), config.startTimeout(), p.stopTimeout());
      case DOCKER -> DockerProvider.connect(p.docker(), stateDir, config.startTimeout(), p.stopTimeout(), takingOver);
    };
  }

  /** The data plane's queue as the autoscaler sees it; the proxy is made after the autoscaler. */
  private QueueGauge queueGauge() {
    return new QueueGauge() {
      @Override
      public int depth() {
        ProxyServer p = proxy;
        return p == null ? 0 : p.queueDepth();
      }

      @Override
      public long turnedAway() {
        ProxyServer p = proxy;
        return p == null ? 0 : p.stats().failures(ProxyFailure.QUEUE_FULL) + p.stats().failures(ProxyFailure.QUEUE_TIMEOUT)
            + p.stats().failures(ProxyFailure.NO_BACKEND);
      }

      @Override
      public long dequeued() {
        ProxyServer p = proxy;
        return p == null ? 0 : p.stats().queued();
      }

      @Override
      public long waitNanos() {
        ProxyServer p = proxy;
        return p == null ? 0 : p.stats().queueWaitNanos();
      }
    };
  }

  /** The autoscaler, or null when {@code autoscale.enabled} is off. */
  public Autoscaler autoscaler() {
    return autoscaler;
  }

  public HealthChecker health() {
    return health;
  }

  public StcConfig config() {
    return config;
  }

  /** Graceful stop: in-flight requests finish (bounded by {@code shutdown_timeout}), then everything closes. */
  @Override
  public void close() throws InterruptedException {
    close(config.shutdownTimeout());
  }

  public void close(Duration timeout) throws InterruptedException {
    if (handoff != null) {
      handoff.close();
    }
    if (proxy != null) {
      boolean clean = proxy.shutdown(timeout);
      if (!clean) {
        log.warn("shutdown timeout {} passed with requests still in flight", timeout);
      }
    }
    // After the proxy, so the last exchanges still reach the access log.
    if (control != null) {
      try {
        control.close();
      } catch (Exception e) {
        log.warn("control plane did not close cleanly: {}", e.toString());
      }
    }
    if (kubernetes != null) {
      // Hands the lead to another replica at once.
      kubernetes.close();
    }
    if (autoscaler != null) {
      // After the data plane: its requests have finished, so the instances can go.
      autoscaler.close();
    }
    if (health != null) {
      health.close();
    }
    if (vertx != null) {
      try {
        vertx.close().await(5, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        log.warn("vert.x did not close within 5 s");
      }
    }
  }
}
