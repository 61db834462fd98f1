package io.stc.pool;

import io.stc.Clock;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One instance behind the balancer: its address, weight, state and live counters.
 *
 * <p>Identity matters: a backend removed and added again is a new object, so connection pools and
 * counters keyed by the old one die with it.
 */
public final class Backend {
  private final String id;
  private final String host;
  private final int port;
  private final InetSocketAddress address;
  private final BackendStats stats;
  private volatile int weight;
  private volatile BackendState state;
  private volatile long stateSinceNanos;
  private volatile boolean removed;

  public Backend(String id, String host, int port, int weight, BackendState state) {
    this(id, host, port, weight, state, Clock.SYSTEM);
  }

  /** A backend whose stats keep time (for decaying latency estimates) with {@code clock}. */
  public Backend(String id, String host, int port, int weight, BackendState state, Clock clock) {
    if (weight < 0) {
      throw new IllegalArgumentException("weight must be >= 0");
    }
    this.id = Objects.requireNonNull(id);
    this.host = Objects.requireNonNull(host);
    this.port = port;
    // Resolved once here so the hot path never does a DNS look-up.
    this.address = new InetSocketAddress(host, port);
    this.weight = weight;
    this.state = state;
    this.stats = new BackendStats(clock);
  }

  /** The conventional id of a backend at host:port. */
  public static String idOf(String host, int port) {
    // IPv6 literals are bracketed so the port stays unambiguous.
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  public String id() {
    return id;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public InetSocketAddress address() {
    return address;
  }

  public int weight() {
    return weight;
  }

  public BackendState state() {
    return state;
  }

  public long stateSinceNanos() {
    return stateSinceNanos;
  }

  public BackendStats stats() {
    return stats;
  }

  public boolean isAvailable() {
    return state == BackendState.UP;
  }

  /** Whether the backend has left the pool; its connections close as they come back. */
  public boolean isRemoved() {
    return removed;
  }

  // Mutators are package-private: only Upstream changes a backend, and it republishes the pool.
  void weight(int weight) {
    this.weight = weight;
  }

  void state(BackendState state, long nowNanos) {
    this.state = state;
    this.stateSinceNanos = nowNanos;
  }

  void markRemoved() {
    this.removed = true;
  }

  @Override
  public String toString() {
    return id + "(" + state + ", w=" + weight + ")";
  }
}
