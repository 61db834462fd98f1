package io.stc.admin;

import io.stc.Clock;
import io.stc.balance.Algorithm;
import io.stc.balance.Balancer;
import io.stc.config.ConfigChanges;
import io.stc.config.StcConfig;
import io.stc.config.StcConfig.BackendConfig;
import io.stc.health.HealthChecker;
import io.stc.health.HealthResult;
import io.stc.limit.RateLimiter;
import io.stc.limit.TokenBucketLimiter;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Upstream;
import io.stc.proxy.ProxyServer;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out operators' changes on the running server (add, weight, drain, maintenance, remove,
 * algorithm, reset, reload), announces them on the event bus and saves them in the state file.
 */
public final class Controller {
  private static final Logger log = LoggerFactory.getLogger(Controller.class);
  static final long DRAIN_POLL_MILLIS = 100;

  private final Vertx vertx;
  private final Upstream upstream;
  private final ProxyServer proxy;
  private final HealthChecker health;
  private final TrafficRecorder traffic;
  private final ControlEvents events;
  private final StateFile state;
  private final Clock clock;
  private final Duration drainTimeout;
  private final Function<Algorithm, Balancer> balancers;
  private final Supplier<StcConfig> configSource;
  private final Map<Backend, Long> removing = new ConcurrentHashMap<>();
  private volatile Algorithm algorithm;

  /**
   * @param health the active checker, or null when health checks are off
   * @param configSource re-reads the configuration for a reload, or null when there is no file
   */
  public Controller(
      Vertx vertx, Upstream upstream, ProxyServer proxy, HealthChecker health, TrafficRecorder traffic,
      ControlEvents events, StateFile state, Clock clock, Duration drainTimeout,
      Function<Algorithm, Balancer> balancers, Supplier<StcConfig> configSource, Algorithm initial) {
    this.vertx = vertx;
    this.upstream = upstream;
    this.proxy = proxy;
    this.health = health;
    this.traffic = traffic;
    this.events = events;
    this.state = state;
    this.clock = clock;
    this.drainTimeout = drainTimeout;
    this.balancers = balancers;
    this.configSource = configSource;
    this.algorithm = initial;
  }

  public Algorithm algorithm() {
    return algorithm;
  }

  /** How long a removal waits for in-flight requests at most. */
  public Duration drainTimeout() {
    return drainTimeout;
  }

  /** The backend with this id; 404 when absent. */
  public Backend find(String id) {
    Backend b = upstream.pool().find(id);
    if (b == null) {
      throw ApiError.notFound("no backend " + id);
    }
    return b;
  }

  /** Whether the backend is draining on its way out of the pool. */
  public boolean isRemoving(Backend b) {
    return removing.containsKey(b);
  }

  /** Adds a backend; it takes traffic once its first health check passes (at once without checks). */
  public Backend add(String host, int port, int weight) {
    return add(host, port, weight, io.stc.pool.BackendProtocol.HTTP1);
  }

  /** Whether the data plane speaks TLS to backends (which HTTP/2 backends must match). */
  public boolean tlsToBackends() {
    return proxy.tlsToBackends();
  }

  /** Adds a backend speaking {@code protocol}; as {@link #add(String, int, int)} otherwise. */
  public Backend add(String host, int port, int weight, io.stc.pool.BackendProtocol protocol) {
    return add(new BackendConfig(host, port, weight, protocol));
  }

  /** Adds the backend {@code c} describes; as {@link #add(String, int, int)} otherwise. */
  public Backend add(BackendConfig c) {
    String host = c.host();
    Backend existing = upstream.pool().find(c.id());
    if (existing != null) {
      throw ApiError.conflict(isRemoving(existing)
          ? "backend " + c.id() + " is being removed; add it again once it is gone"
          : "backend " + c.id() + " is already in the pool");
    }
    Backend b;
    try {
      b = upstream.add(c.id(), host, c.port(), c.weight(), health != null ? BackendState.DOWN : BackendState.UP, c.protocol(),
          c.backup());
      upstream.setMaxInflight(b, c.maxInflight());
    } catch (IllegalStateException e) {
      throw ApiError.conflict(e.getMessage());
    } catch (IllegalArgumentException e) {
      // The address did not resolve or is malformed.
      throw ApiError.badRequest("cannot use host '" + host + "': " + e.getMessage(), "host");
    }
    state.backendAdded(c);
    return b;
  }

  /** Changes a backend's weight; 409 while it is being removed. */
  public void weight(Backend b, int weight) {
    refuseIfRemoving(b);
    if (b.weight() != weight) {
      upstream.setWeight(b, weight);
      state.weightChanged(b.id(), weight);
    }
  }

  /** Sets a backend's own limit of requests in flight (0: the top-level max_inflight); 409 while it is being removed. */
  public void maxInflight(Backend b, int limit) {
    refuseIfRemoving(b);
    if (b.maxInflight() != limit) {
      upstream.setMaxInflight(b, limit);
      state.maxInflightChanged(b.id(), limit);
    }
  }

  /** Makes a backend a backup one or a regular one; 409 while it is being removed. */
  public void backup(Backend b, boolean backup) {
    refuseIfRemoving(b);
    if (upstream.setBackup(b, backup)) {
      state.backupChanged(b.id(), backup);
    }
  }

  /** The operator's wish for a backend: {@code up}, {@code drain} (no new requests) or {@code maint} (out until brought back). */
  public void mode(Backend b, String mode) {
    refuseIfRemoving(b);
    switch (mode) {
      case "up" -> {
        // With checks on, a backend that just failed one waits for the checker instead of taking traffic.
        HealthResult last = health == null ? null : health.lastResult(b);
        boolean failing = health != null && (last == null || !last.ok());
        BackendState target = failing ? BackendState.DOWN : BackendState.UP;
        if (b.state() != BackendState.UP) {
          upstream.setState(b, target, "operator: up");
        }
        state.maintChanged(b.id(), false);
      }
      case "drain" -> {
        upstream.setState(b, BackendState.DRAINING, "operator: drain");
        state.maintChanged(b.id(), false);
      }
      case "maint" -> {
        upstream.setState(b, BackendState.MAINT, "operator: maintenance");
        state.maintChanged(b.id(), true);
      }
      default -> throw ApiError.badRequest("'state' must be one of up, drain, maint; got '" + mode + "'", "state");
    }
  }

  private void refuseIfRemoving(Backend b) {
    if (isRemoving(b)) {
      throw ApiError.conflict("backend " + b.id() + " is being removed");
    }
  }

  /**
   * Drains a backend and removes it once its in-flight requests reach zero or the drain timeout
   * passes; a second call while it drains changes nothing.
   */
  public void remove(Backend b) {
    if (removing.putIfAbsent(b, clock.nanos() + drainTimeout.toNanos()) != null) {
      return;
    }
    upstream.setState(b, BackendState.DRAINING, "operator: remove");
    state.backendRemoved(b.id());
    if (!finishRemoval(b)) {
      vertx.setPeriodic(DRAIN_POLL_MILLIS, id -> {
        if (finishRemoval(b)) {
          vertx.cancelTimer(id);
        }
      });
    }
  }

  private boolean finishRemoval(Backend b) {
    Long deadline = removing.get(b);
    if (deadline == null || b.isRemoved()) {
      removing.remove(b);
      return true;
    }
    int inFlight = b.stats().inFlight();
    boolean timedOut = clock.nanos() - deadline >= 0;
    if (inFlight > 0 && !timedOut) {
      return false;
    }
    if (timedOut && inFlight > 0) {
      log.warn("backend {}: drain timeout {} passed with {} requests in flight; removing it", b.id(), drainTimeout, inFlight);
    }
    upstream.remove(b.id());
    removing.remove(b);
    return true;
  }

  /** Switches the balancing algorithm at once. */
  public void algorithm(Algorithm a) {
    if (switchTo(a)) {
      state.algorithmChanged(a.configName());
    }
  }

  private boolean switchTo(Algorithm a) {
    Algorithm previous = algorithm;
    if (previous == a) {
      return false;
    }
    proxy.balancer(balancers.apply(a));
    algorithm = a;
    log.info("algorithm {} -> {}", previous.configName(), a.configName());
    events.publish("algorithm_changed", "algorithm " + previous.configName() + " -> " + a.configName(),
        Map.of("algorithm", a.configName(), "previous", previous.configName()));
    return true;
  }

  /** Zeroes the counters the API shows. */
  public void reset() {
    traffic.reset();
    for (Backend b : upstream.pool().all()) {
      b.stats().reset();
    }
    events.publish("stats_reset", "counters reset", Map.of());
  }

  /**
   * Re-reads the configuration and applies its backends (added, removed, weights) and algorithm;
   * an invalid file changes nothing. Only backends the file or the API put in the pool are removed:
   * the autoscaler's instances and a named backend's other addresses stay with what added them.
   *
   * @throws ApiError 400 naming the problem, 409 when there is no file to read
   */
  public String reload() {
    if (configSource == null) {
      throw ApiError.conflict("no config file to reload (start stc serve with --config FILE)");
    }
    StcConfig next;
    try {
      next = configSource.get();
    } catch (RuntimeException e) {
      log.warn("config reload rejected, keeping the running config: {}", e.getMessage());
      throw ApiError.badRequest("config reload rejected: " + e.getMessage(), null);
    }
    // First, so certificates that cannot be used reject the whole reload before anything changed.
    String tls;
    try {
      tls = proxy.reloadTls(next.tls());
    } catch (IllegalStateException e) {
      log.warn("config reload rejected, keeping the running config: {}", e.getMessage());
      throw ApiError.badRequest("config reload rejected: " + e.getMessage(), null);
    }
    Algorithm a = Algorithm.parse(next.algorithm());
    Set<String> wanted = new HashSet<>();
    int added = 0;
    int removed = 0;
    for (BackendConfig c : next.backends()) {
      wanted.add(c.id());
      Backend b = upstream.pool().find(c.id());
      if (b == null) {
        Backend fresh = upstream.add(c.id(), c.host(), c.port(), c.weight(), health != null ? BackendState.DOWN : BackendState.UP,
            c.protocol(), c.backup());
        upstream.setMaxInflight(fresh, c.maxInflight());
        added++;
      } else if (!isRemoving(b)) {
        if (b.weight() != c.weight()) {
          upstream.setWeight(b, c.weight());
        }
        upstream.setBackup(b, c.backup());
        upstream.setMaxInflight(b, c.maxInflight());
      }
    }
    for (Backend b : upstream.pool().all()) {
      // Only what the file or the API put in the pool goes: the autoscaler's instances and a name's
      // other addresses (which follow their configured backend) stay with what added them.
      if (!wanted.contains(b.id()) && state.configures(b.id()) && !isRemoving(b)) {
        remove(b);
        removed++;
      }
    }
    switchTo(a);
    StcConfig before = proxy.configInForce();
    StcConfig inForce = proxy.reloadSettings(next);
    if (!before.rateLimit().equals(inForce.rateLimit())) {
      // Buckets start full under a changed limit, as at a start.
      proxy.rateLimiter(inForce.rateLimit().enabled() ? new TokenBucketLimiter(inForce.rateLimit(), clock) : RateLimiter.NONE);
    }
    List<String> applied = new ArrayList<>(ConfigChanges.between(before, inForce));
    applied.removeAll(List.of("backends", "algorithm"));
    List<String> onRestart = ConfigChanges.between(inForce, next);
    state.rebase(next);
    String summary = "config reloaded: " + added + " backends added, " + removed + " removed, algorithm " + a.configName()
        + (tls == null ? "" : ", TLS " + tls)
        + (applied.isEmpty() ? "" : ", applied " + String.join(", ", applied))
        + (onRestart.isEmpty() ? "" : "; on restart only: " + String.join(", ", onRestart));
    if (onRestart.isEmpty()) {
      log.info(summary);
    } else {
      log.warn("{} (these keep their running values until stc restarts)", summary);
    }
    events.publish("config_reloaded", summary,
        Map.of("added", added, "removed", removed, "applied", applied, "restart_needed", onRestart));
    return summary;
  }
}
