package io.stc.pool;

import io.stc.Clock;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live set of backends behind a listener: the control plane changes it, and every change
 * publishes a new immutable {@link Pool} snapshot that the data plane reads without locking.
 */
public final class Upstream {
  private static final Logger log = LoggerFactory.getLogger(Upstream.class);

  private final Clock clock;
  private final List<Consumer<PoolEvent>> listeners = new CopyOnWriteArrayList<>();
  private volatile Pool current = Pool.EMPTY;
  private long version;
  private Pool.Ejection ejection = Pool.Ejection.NONE;
  private int maxEjectionPercent = 100;

  public Upstream(Clock clock) {
    this.clock = clock;
  }

  /** The current snapshot; cheap, lock-free, for the hot path. */
  public Pool pool() {
    return current;
  }

  public void addListener(Consumer<PoolEvent> listener) {
    listeners.add(listener);
  }

  /**
   * Adds a backend. It starts {@code initialState}: DOWN when it must pass a health check first,
   * UP when there is no checking.
   *
   * @throws IllegalStateException when a backend with that id is already present
   */
  public Backend add(String id, String host, int port, int weight, BackendState initialState) {
    return add(id, host, port, weight, initialState, BackendProtocol.HTTP1);
  }

  /** Adds a backend that speaks {@code protocol}; as {@link #add(String, String, int, int, BackendState)} otherwise. */
  public Backend add(String id, String host, int port, int weight, BackendState initialState, BackendProtocol protocol) {
    return add(id, host, port, weight, initialState, protocol, false);
  }

  /** Adds a backend that speaks {@code protocol}, a backup one ({@link Backend#backup()}) when {@code backup}. */
  public Backend add(String id, String host, int port, int weight, BackendState initialState, BackendProtocol protocol,
      boolean backup) {
    Backend b = new Backend(id, host, port, null, null, weight, initialState, clock, protocol);
    b.backup(backup);
    return add(b);
  }

  /**
   * Adds a backend for another address of {@code named}'s host name, with its weight and
   * protocol, id {@code named.id() + "@" + address}; see {@link Backend#siblingOf}.
   */
  Backend addSibling(Backend named, InetAddress address, BackendState initialState) {
    String id = named.id() + "@" + address.getHostAddress();
    Backend b = new Backend(id, named.host(), named.port(), address, named.id(), named.weight(), initialState, clock,
        named.protocol());
    b.backup(named.backup());
    b.maxInflight(named.maxInflight());
    return add(b);
  }

  private Backend add(Backend b) {
    String id = b.id();
    BackendState initialState = b.state();
    synchronized (this) {
      if (current.find(id) != null) {
        throw new IllegalStateException("backend " + id + " is already in the pool");
      }
      b.state(initialState, clock.nanos());
      List<Backend> next = new ArrayList<>(current.all());
      next.add(b);
      publish(next);
    }
    log.info("backend {} added ({})", id, initialState.label());
    fire(new PoolEvent(PoolEvent.Kind.ADDED, b, null, "added"));
    return b;
  }

  /** Removes a backend at once; returns it, or null when absent. In-flight requests still finish. */
  public Backend remove(String id) {
    Backend b;
    synchronized (this) {
      b = current.find(id);
      if (b == null) {
        return null;
      }
      List<Backend> next = new ArrayList<>(current.all());
      next.remove(b);
      b.markRemoved();
      publish(next);
    }
    log.info("backend {} removed", id);
    fire(new PoolEvent(PoolEvent.Kind.REMOVED, b, b.state(), "removed"));
    return b;
  }

  /** Moves a backend to a state; returns false when it is absent or already in that state. */
  public boolean setState(Backend b, BackendState state, String reason) {
    BackendState previous;
    synchronized (this) {
      if (current.find(b.id()) != b || b.state() == state) {
        return false;
      }
      previous = b.state();
      b.state(state, clock.nanos());
      publish(current.all());
    }
    log.info("backend {} {} -> {}: {}", b.id(), previous.label(), state.label(), reason);
    fire(new PoolEvent(PoolEvent.Kind.STATE_CHANGED, b, previous, reason));
    return true;
  }

  /** Changes a backend's weight; returns false when it is absent. */
  public boolean setWeight(Backend b, int weight) {
    if (weight < 0) {
      throw new IllegalArgumentException("weight must be >= 0");
    }
    synchronized (this) {
      if (current.find(b.id()) != b) {
        return false;
      }
      b.weight(weight);
      publish(current.all());
    }
    fire(new PoolEvent(PoolEvent.Kind.WEIGHT_CHANGED, b, b.state(), "weight " + weight));
    return true;
  }

  /**
   * Sets a backend's own limit of requests in flight (0: the proxy's); a request in flight beyond a
   * lowered limit finishes, and requests waiting in the queue may take a raised one's room at once
   * (the event wakes them). A name's other addresses follow at its next look-up, as for weights.
   */
  public void setMaxInflight(Backend b, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("max_inflight must be >= 0");
    }
    if (b.maxInflight() == limit) {
      return;
    }
    b.maxInflight(limit);
    fire(new PoolEvent(PoolEvent.Kind.LIMIT_CHANGED, b, b.state(), limit == 0 ? "max_inflight as the proxy's" : "max_inflight " + limit));
  }

  /** Makes a backend a backup one or a regular one ({@link Backend#backup()}); returns false when it is absent or already so. */
  public boolean setBackup(Backend b, boolean backup) {
    synchronized (this) {
      if (current.find(b.id()) != b || b.backup() == backup) {
        return false;
      }
      b.backup(backup);
      publish(current.all());
    }
    log.info("backend {} is {}", b.id(), backup ? "a backup now" : "no longer a backup");
    fire(new PoolEvent(PoolEvent.Kind.BACKUP_CHANGED, b, b.state(), backup ? "backup" : "not a backup"));
    return true;
  }

  /** Sets how passive health ejects backends; the pool is republished with it. */
  public synchronized void ejection(Pool.Ejection ejection, int maxEjectionPercent) {
    this.ejection = ejection;
    this.maxEjectionPercent = maxEjectionPercent;
    publish(current.all());
  }

  /** Publishes a fresh snapshot of the same backends: for changes the snapshot derives, like ejections. */
  public synchronized void republish() {
    publish(current.all());
  }

  private void publish(List<Backend> backends) {
    current = new Pool(backends, ++version, ejection, maxEjectionPercent);
  }

  private void fire(PoolEvent event) {
    for (Consumer<PoolEvent> l : listeners) {
      try {
        l.accept(event);
      } catch (RuntimeException e) {
        log.warn("pool listener failed on {}", event.kind(), e);
      }
    }
  }
}
