package io.stc;

import io.stc.balance.Algorithm;
import io.stc.config.StcConfig;
import io.stc.health.HealthChecker;
import io.stc.health.PassiveHealth;
import io.stc.pool.BackendState;
import io.stc.pool.Upstream;
import io.stc.proxy.ProxyServer;
import io.stc.scale.Autoscaler;
import io.stc.scale.InstanceProvider;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running stc: the upstream pool, its health checks, its autoscaler and the data plane, wired from one config. */
public final class StcServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StcServer.class);

  private final StcConfig config;
  private final Clock clock;
  private final Upstream upstream;
  private Vertx vertx;
  private HealthChecker health;
  private Autoscaler autoscaler;
  private ProxyServer proxy;
  private int port;

  public StcServer(StcConfig config) {
    this(config, Clock.SYSTEM);
  }

  public StcServer(StcConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.upstream = new Upstream(clock);
  }

  /** Starts everything and returns the data plane's port. */
  public int start() throws InterruptedException {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2));
    boolean checking = config.health().enabled();
    // With health checks on, a backend earns its place with a passing probe; without, it is trusted.
    BackendState initial = checking ? BackendState.DOWN : BackendState.UP;
    for (StcConfig.BackendConfig b : config.backends()) {
      upstream.add(b.id(), b.host(), b.port(), b.weight(), initial);
    }
    PassiveHealth passive = PassiveHealth.NONE;
    if (checking) {
      health = new HealthChecker(vertx, upstream, config.health());
      health.start();
      health.awaitFirstResults(config.health().timeout().plusSeconds(2));
      passive = health;
    }
    if (config.autoscale().enabled()) {
      // Before the listener opens, so the first requests find the minimum number of instances ready.
      autoscaler = new Autoscaler(config.autoscale(), upstream, InstanceProvider.of(config.autoscale()), checking, clock);
      autoscaler.start();
    }
    Algorithm algorithm = Algorithm.parse(config.algorithm());
    proxy = new ProxyServer(config, upstream, algorithm.newBalancer(clock), passive, clock);
    if (autoscaler != null) {
      Autoscaler a = autoscaler;
      proxy.listener((method, uri, clientIp, backend, status, latencyNanos) -> a.latency().record(latencyNanos));
    }
    port = proxy.start();
    return port;
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
    if (proxy != null) {
      boolean clean = proxy.shutdown(timeout);
      if (!clean) {
        log.warn("shutdown timeout {} passed with requests still in flight", timeout);
      }
    }
    if (autoscaler != null) {
      // After the data plane: its in-flight requests have finished, so the instances can go.
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
