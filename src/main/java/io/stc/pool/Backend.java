package io.stc.pool;

import io.stc.Clock;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.Objects;

/**
 * One instance behind the balancer: its address, weight, state and live counters.
 *
 * <p>Identity matters: a backend removed and added again is a new object, so connection pools and
 * counters keyed by the old one die with it.
 */
public final class Backend {
  /** How the host of a backend on a Unix domain socket begins, as nginx writes one: {@code unix:/run/app.sock}. */
  public static final String UNIX = "unix:";

  private final String id;
  private final String host;
  private final int port;
  /** Where its host name pointed when last looked up (a socket file's path for a Unix one); a literal address never moves. */
  private volatile SocketAddress address;
  /** The socket file of a backend on a Unix domain socket; null for one on TCP. */
  private final String unixPath;
  private final boolean named;
  private final BackendStats stats;
  private volatile int weight;
  private volatile BackendState state;
  private volatile long stateSinceNanos;
  private volatile boolean removed;
  private final BackendProtocol protocol;
  /** For {@link BackendProtocol#AUTO}: whether ALPN settled on HTTP/2; null until the first connection says. */
  private volatile Boolean negotiatedH2;
  /** The shortest wait after which the backend was seen to close an idle kept connection unasked (nanoseconds), or MAX_VALUE. */
  private volatile long idleCloseSeenNanos = Long.MAX_VALUE;
  /** A close seen once and not yet borne out by a second at a like wait (nanoseconds), or MAX_VALUE; and when it came. */
  private volatile long idleClosePendingNanos = Long.MAX_VALUE;
  private volatile long idleClosePendingAtNanos;
  /** For another address of a named backend's name: that backend's id; null for every other backend. */
  private final String siblingOf;
  /** Takes requests only while no other backend is available ({@link Pool#available()}). */
  private volatile boolean backup;
  /** Its own limit of requests in flight; 0: the proxy's ({@code max_inflight}). */
  private volatile int maxInflight;

  public Backend(String id, String host, int port, int weight, BackendState state) {
    this(id, host, port, weight, state, Clock.SYSTEM);
  }

  /** A backend whose stats keep time (for decaying latency estimates) with {@code clock}. */
  public Backend(String id, String host, int port, int weight, BackendState state, Clock clock) {
    this(id, host, port, weight, state, clock, BackendProtocol.HTTP1);
  }

  /** A backend that speaks {@code protocol}. */
  public Backend(String id, String host, int port, int weight, BackendState state, Clock clock, BackendProtocol protocol) {
    this(id, host, port, null, null, weight, state, clock, protocol);
  }

  /** At {@code at} (null: where {@code host} resolves now), standing for another address of {@code siblingOf}'s name when that is not null. */
  Backend(String id, String host, int port, InetAddress at, String siblingOf, int weight, BackendState state, Clock clock,
      BackendProtocol protocol) {
    if (weight < 0) {
      throw new IllegalArgumentException("weight must be >= 0");
    }
    this.id = Objects.requireNonNull(id);
    this.host = Objects.requireNonNull(host);
    this.port = port;
    // Resolved here (and, for a name, again by NameRefresh on the control plane), so the hot path
    // never does a DNS look-up; a name that does not resolve yet is left unresolved, and connects
    // to it fail at once until it does.
    this.unixPath = isUnix(host) ? host.substring(UNIX.length()) : null;
    this.named = unixPath == null && !NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host);
    this.address = unixPath != null ? UnixDomainSocketAddress.of(unixPath)
        : at != null ? new InetSocketAddress(at, port) : new InetSocketAddress(host, port);
    this.siblingOf = siblingOf;
    this.weight = weight;
    this.state = state;
    this.stats = new BackendStats(clock);
    this.protocol = Objects.requireNonNull(protocol);
  }

  /** The protocol configured for this backend. */
  public BackendProtocol protocol() {
    return protocol;
  }

  /**
   * Whether requests go to it as HTTP/2 streams: h2 and h2c always, auto once a connection's ALPN
   * chose h2. Until an auto backend's first connection, false (HTTP/1.1 with h2 offered).
   */
  public boolean speaksHttp2() {
    return protocol == BackendProtocol.H2 || protocol == BackendProtocol.H2C
        || (protocol == BackendProtocol.AUTO && Boolean.TRUE.equals(negotiatedH2));
  }

  /** Records what ALPN settled for an auto backend. */
  public void negotiated(boolean h2) {
    negotiatedH2 = h2;
  }

  /**
   * The backend closed a kept connection, unasked, after it had waited idle this long. Its idle
   * timeout, which it did not say (gunicorn, Uvicorn, Go's servers), is at most that once a second
   * close at a like wait (within a tenth, or 100 ms) comes at another moment (a second or more
   * apart): a restart or a graceful reload closes every idle connection at once, whatever its wait,
   * and teaches nothing. True when this makes a shorter timeout than any learned so far.
   */
  public boolean idleCloseSeen(long idleNanos, long nowNanos) {
    // A benign race between loops: a close may be weighed against another's, or lost.
    long pending = idleClosePendingNanos;
    boolean like = pending != Long.MAX_VALUE && nowNanos - idleClosePendingAtNanos >= 1_000_000_000L
        && Math.abs(idleNanos - pending) <= Math.max(pending / 10, 100_000_000L);
    if (!like) {
      idleClosePendingNanos = idleNanos;
      idleClosePendingAtNanos = nowNanos;
      return false;
    }
    idleClosePendingNanos = Long.MAX_VALUE;
    long timeout = Math.min(pending, idleNanos);
    if (timeout < idleCloseSeenNanos) {
      idleCloseSeenNanos = timeout;
      return true;
    }
    return false;
  }

  /** The wait of a close of an idle connection seen once and not yet borne out by a second like it, or MAX_VALUE. */
  public long idleClosePendingNanos() {
    return idleClosePendingNanos;
  }

  /** The shortest idle wait after which the backend closed a kept connection unasked, or MAX_VALUE when never seen. */
  public long idleCloseSeenNanos() {
    return idleCloseSeenNanos;
  }

  /** What the backend speaks now, for stats: http1, h2, h2c, or auto until a connection settled it. */
  public String protocolName() {
    if (protocol != BackendProtocol.AUTO) {
      return protocol.configName();
    }
    Boolean h2 = negotiatedH2;
    return h2 == null ? "auto" : h2 ? "h2" : "http1";
  }

  /** Whether {@code host} names a Unix domain socket ({@code unix:/run/app.sock}) rather than a host. */
  public static boolean isUnix(String host) {
    return host.startsWith(UNIX);
  }

  /** The conventional id of a backend at host:port ({@code unix:PATH} for one on a Unix domain socket). */
  public static String idOf(String host, int port) {
    if (isUnix(host)) {
      return host;
    }
    // IPv6 literals are bracketed so the port stays unambiguous.
    return bracketed(host) + ":" + port;
  }

  /** A host as an authority (a URL, a Host header) writes it: an IPv6 literal in brackets. */
  public static String bracketed(String host) {
    return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
  }

  public String id() {
    return id;
  }

  /**
   * host:port as a Host header or an authority writes it (an IPv6 literal in brackets); for a Unix
   * domain socket, {@code localhost}, as nginx names one.
   */
  public String authority() {
    return unixPath() != null ? "localhost" : idOf(host, port);
  }

  /** The socket file of a backend on a Unix domain socket; null for one on TCP. */
  public String unixPath() {
    return unixPath;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /**
   * Where connections go now. A new object whenever the backend's name moves, so a connection can
   * tell it was opened to an address the name has left by comparing the one it was opened to.
   */
  public SocketAddress address() {
    return address;
  }

  /** Where connections go now, for a backend on TCP; null for one on a Unix domain socket. */
  public InetSocketAddress inetAddress() {
    return address instanceof InetSocketAddress a ? a : null;
  }

  /** Whether the host is a name (looked up again as it may move), not a literal address. */
  public boolean named() {
    return named;
  }

  /**
   * For a backend {@link NameRefresh} added for another address of a configured backend's name
   * (so every address the name has gets traffic): that backend's id; null for every other backend.
   */
  public String siblingOf() {
    return siblingOf;
  }

  /** The backend's name now points at {@code to}: new connections go there; open ones finish where they are. */
  public void moveTo(InetAddress to) {
    address = new InetSocketAddress(to, port);
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

  /**
   * Whether this is a backup backend, as nginx's and HAProxy's {@code backup} servers: it takes
   * requests only while no other backend is available, and those that every other backend failed
   * or had no room for.
   */
  public boolean backup() {
    return backup;
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
    if (this.state == BackendState.DOWN && state == BackendState.UP) {
      // Back from down, most likely restarted: its idle timeout is learned again (a restart closes
      // kept connections whatever their idleness, and its settings may have changed).
      idleCloseSeenNanos = Long.MAX_VALUE;
      idleClosePendingNanos = Long.MAX_VALUE;
    }
    this.state = state;
    this.stateSinceNanos = nowNanos;
  }

  void backup(boolean backup) {
    this.backup = backup;
  }

  /**
   * Its own limit of requests in flight, as nginx's {@code max_conns} and HAProxy's per-server
   * {@code maxconn} set one: a smaller machine's; 0 when the proxy's {@code max_inflight} applies.
   */
  public int maxInflight() {
    return maxInflight;
  }

  void maxInflight(int limit) {
    this.maxInflight = limit;
  }

  void markRemoved() {
    this.removed = true;
  }

  @Override
  public String toString() {
    return id + "(" + state + ", w=" + weight + (backup ? ", backup" : "") + ")";
  }
}
