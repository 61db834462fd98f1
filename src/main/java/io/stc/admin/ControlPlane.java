package io.stc.admin;

import io.stc.Clock;
import io.stc.balance.Algorithm;
import io.stc.balance.Balancer;
import io.stc.config.StcConfig;
import io.stc.health.CircuitBreakers;
import io.stc.health.HealthChecker;
import io.stc.pool.Upstream;
import io.stc.session.StickySessions;
import io.stc.proxy.ProxyServer;
import io.stc.scale.Autoscaler;
import io.vertx.core.Vertx;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything operators use next to the data plane, wired together: the traffic recorder on every
 * exchange, the access log, metrics, the event bus, the controller with its state file, and the
 * admin listener when it is enabled.
 */
public final class ControlPlane implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

  private final Vertx vertx;
  private final ControlEvents events = new ControlEvents();
  private final TrafficRecorder traffic;
  private final AccessLog accessLog;
  private final StcMetrics metrics;
  private final Controller controller;
  private final StatsView view;
  private final EventStream stream;
  private final AdminServer admin;
  private final DataPlaneClient dataPlane;
  private long ticker = -1;
  private int adminPort = -1;

  /**
   * @param health the active checker, or null when checks are off
   * @param breakers the circuit breakers, or null when they are off
   * @param sticky session affinity, or null when it is off
   * @param autoscaler the autoscaler, or null when autoscaling is off
   * @param configSource re-reads the configuration on reload, or null when there is no file
   */
  public ControlPlane(
      Vertx vertx, StcConfig config, Upstream upstream, ProxyServer proxy, HealthChecker health,
      CircuitBreakers breakers, StickySessions sticky, Autoscaler autoscaler, StateFile state, Clock clock,
      Algorithm algorithm, Function<Algorithm, Balancer> balancers, Supplier<StcConfig> configSource)
      throws java.io.IOException {
    this.vertx = vertx;
    this.accessLog = config.accessLog().enabled()
        ? AccessLog.open(config.accessLog().path(), config.accessLog().format())
        : null;
    this.traffic = new TrafficRecorder(clock, accessLog);
    for (var b : upstream.pool().all()) {
      traffic.onPoolEvent(new io.stc.pool.PoolEvent(io.stc.pool.PoolEvent.Kind.ADDED, b, null, "present at start"));
    }
    upstream.addListener(traffic::onPoolEvent);
    this.controller = new Controller(
        vertx, upstream, proxy, health, traffic, events, state, clock, config.drainTimeout(), balancers,
        configSource, algorithm);
    this.metrics = new StcMetrics(upstream, proxy.stats(), traffic, health, breakers, accessLog, controller::algorithm);
    upstream.addListener(metrics::onPoolEvent);
    upstream.addListener(events::onPoolEvent);
    // Backends checked before the control plane existed (the first probes run before the listener
    // opens) changed state unheard: the event log starts with where each one stands.
    for (var b : upstream.pool().all()) {
      events.publish("backend_" + b.state().label(), b.id() + ": " + b.state().label() + " at start"
          + (health != null ? " (first health check " + (b.state() == io.stc.pool.BackendState.UP ? "passed)" : "done)") : ""),
          java.util.Map.of("backend", b.id()));
    }
    this.dataPlane = new DataPlaneClient(vertx, config);
    this.view = new StatsView(
        upstream, proxy.stats(), proxy::queueDepth, traffic, health, breakers, sticky, controller, events,
        autoscaler == null ? null : autoscaler::status, clock);
    if (autoscaler != null) {
      autoscaler.addListener(e -> events.publish(ScaleLabels.type(e.kind()), e.message(), ScaleLabels.data(e)));
    }
    if (breakers != null) {
      breakers.addListener((b, from, to) -> events.publish(
          "breaker_" + BreakerLabels.event(to), b.id() + ": circuit " + BreakerLabels.state(from) + " -> " + BreakerLabels.state(to),
          java.util.Map.of("backend", b.id(), "state", BreakerLabels.state(to), "previous", BreakerLabels.state(from))));
    }
    this.stream = new EventStream(vertx, view, events);
    this.admin = config.admin().enabled()
        ? new AdminServer(vertx, config.admin(), new AdminApi(controller, view, metrics, stream, upstream, traffic, dataPlane, config.tls().backends()))
        : null;
    proxy.addListener(traffic);
  }

  /** Where the data plane listens, once it does: for the requests the admin sends through it. */
  public void dataPlaneListening(int port) {
    dataPlane.port(port);
  }

  /** Starts the once-a-second tick and the admin listener; returns the admin port, or -1 when it is off. */
  public int start() throws Exception {
    ticker = vertx.setPeriodic(1000, id -> traffic.tick());
    if (admin != null) {
      stream.start();
      adminPort = admin.start();
    }
    return adminPort;
  }

  /** Closes the admin listener alone (another stc process takes its port over); the rest runs on. */
  public void closeAdmin() {
    if (admin != null) {
      try {
        admin.close();
      } catch (Exception e) {
        log.warn("admin listener did not close cleanly: {}", e.toString());
      }
    }
  }

  /**
   * Opens the admin listener again after {@link #closeAdmin()}, when the process that was to take
   * its port went away instead; tries for 5 s, while that process may still be letting the port go.
   */
  public void reopenAdmin() {
    if (admin == null) {
      return;
    }
    Thread t = new Thread(() -> {
      Exception last = null;
      for (int attempt = 0; attempt < 20; attempt++) {
        try {
          adminPort = admin.start();
          return;
        } catch (Exception e) {
          last = e;
          try {
            Thread.sleep(250);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
      log.error("the admin listener could not open again: {}", last.toString());
    }, "stc-admin-reopen");
    t.setDaemon(true);
    t.start();
  }

  /** Re-reads the config (SIGHUP); a bad file is logged and changes nothing. */
  public void reload() {
    vertx.getOrCreateContext().runOnContext(v -> {
      try {
        controller.reload();
      } catch (ApiError e) {
        log.warn("{}", e.getMessage());
      }
    });
  }

  /** The admin listener's routes, or null when it is off. */
  public io.vertx.ext.web.Router router() {
    return admin == null ? null : admin.router();
  }

  public int adminPort() {
    return adminPort;
  }

  public ControlEvents events() {
    return events;
  }

  public Controller controller() {
    return controller;
  }

  @Override
  public void close() throws Exception {
    if (ticker >= 0) {
      vertx.cancelTimer(ticker);
    }
    stream.close();
    if (admin != null) {
      admin.close();
    }
    dataPlane.close();
    metrics.close();
    if (accessLog != null) {
      accessLog.close();
    }
  }
}
