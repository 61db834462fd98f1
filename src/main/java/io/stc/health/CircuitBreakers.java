package io.stc.health;

import io.stc.Clock;
import io.stc.config.StcConfig;
import io.stc.pool.Backend;
import io.stc.pool.PoolEvent;
import io.stc.pool.Upstream;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The circuit breakers of a pool, one per backend: an open breaker ejects its backend from the
 * published snapshots until its open time ends, within the panic guard's limit.
 */
public final class CircuitBreakers {
  private static final Logger log = LoggerFactory.getLogger(CircuitBreakers.class);

  /** Told of every breaker transition. */
  @FunctionalInterface
  public interface Listener {
    void onTransition(Backend backend, CircuitBreaker.State from, CircuitBreaker.State to);
  }

  private final StcConfig.CircuitBreakerConfig config;
  private final CircuitBreaker.Settings settings;
  private final Upstream upstream;
  private final Clock clock;
  private final Vertx vertx;
  private final Context context;
  private final Map<Backend, CircuitBreaker> breakers = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  public CircuitBreakers(StcConfig.CircuitBreakerConfig config, Upstream upstream, Clock clock, Vertx vertx) {
    this.config = config;
    this.settings =
        new CircuitBreaker.Settings(config.failureThreshold(), config.openTime(), config.halfOpenRequests(), config.maxOpenTime());
    this.upstream = upstream;
    this.clock = clock;
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
  }

  /** Gives every backend, present and future, a breaker, and lets open breakers eject. */
  public void start() {
    upstream.addListener(this::onPoolEvent);
    for (Backend b : upstream.pool().all()) {
      create(b);
    }
    upstream.ejection(this::isEjected, config.maxEjectionPercent());
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /** The backend's breaker, or null when it has none (removed). Lock-free, for the hot path. */
  public CircuitBreaker of(Backend backend) {
    return breakers.get(backend);
  }

  /** Whether a 5xx response counts as a failure. */
  public boolean counts5xx() {
    return config.count5xx();
  }

  private boolean isEjected(Backend b) {
    CircuitBreaker cb = breakers.get(b);
    return cb != null && cb.state() == CircuitBreaker.State.OPEN;
  }

  private void onPoolEvent(PoolEvent e) {
    if (e.kind() == PoolEvent.Kind.ADDED) {
      create(e.backend());
    } else if (e.kind() == PoolEvent.Kind.REMOVED) {
      breakers.remove(e.backend());
    }
  }

  private void create(Backend b) {
    breakers.computeIfAbsent(b, k -> new CircuitBreaker(settings, clock, (from, to) -> onTransition(k, from, to)));
  }

  private void onTransition(Backend b, CircuitBreaker.State from, CircuitBreaker.State to) {
    CircuitBreaker cb = breakers.get(b);
    if (to == CircuitBreaker.State.OPEN) {
      long openMillis = cb == null ? settings.openTime().toMillis() : cb.openTime().toMillis();
      log.warn("circuit breaker of {} opened for {} ms", b.id(), openMillis);
      // The breaker turns half-open lazily; a snapshot taken after its open time lets trials in.
      context.runOnContext(v -> vertx.setTimer(openMillis + 1, id -> upstream.republish()));
    } else {
      log.info("circuit breaker of {} {} -> {}", b.id(), from, to);
    }
    // Republish off the calling thread: transitions happen on event loops, inside snapshot builds too.
    context.runOnContext(v -> upstream.republish());
    for (Listener l : listeners) {
      try {
        l.onTransition(b, from, to);
      } catch (RuntimeException ex) {
        log.warn("circuit breaker listener failed", ex);
      }
    }
  }
}
