package io.stc.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.stc.pool.BackendProtocol;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.stc.Clock;
import io.stc.pool.Backend;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one event loop owns: its idle HTTP/1.1 connections and its HTTP/2 connections, per backend,
 * and the bootstrap that opens new ones on the same loop, so a backend connection never crosses
 * threads and the pools need no lock.
 */
final class LoopContext {
  private static final Logger LOG = LoggerFactory.getLogger(LoopContext.class);
  /** Idle connections kept per backend per loop; beyond this a returned connection is closed. */
  static final int MAX_IDLE_PER_BACKEND = 256;
  /**
   * How long an idle connection is kept for requests that can be sent again should the backend
   * close it as they go (idempotent, without a body), when the backend has neither said nor shown
   * a shorter limit: nginx's upstream {@code keepalive_timeout}. Past {@code timeouts.backend_idle}
   * any other request gets a fresh connection, so a POST never races an unsaid close; a GET that
   * does is sent again at no cost ({@link UpstreamRequest#attemptFailed}), and a burst after a
   * quiet spell does not have to open every connection anew.
   */
  static final long RESENDABLE_IDLE_NANOS = 60_000_000_000L;
  /** How often a loop closes the idle connections that waited past their time. */
  private static final long SWEEP_SECONDS = 1;
  /** How much sooner than a backend's idle timeout (said, or seen) its connections stop being reused. */
  private static final long IDLE_CLOSE_MARGIN_NANOS = 1_000_000_000L;

  final EventLoop loop;
  /** What this loop's HTTP/2 streams may hold in receive windows grown beyond the protocol's. */
  final Http2WindowBudget windowBudget;
  /** How many retries this loop's exchanges may make. */
  final RetryBudget retryBudget;
  /** This loop's copies of requests to the mirror. */
  final Mirror mirror;
  /** The deflaters of this loop's gzip-encoded responses. */
  final DeflaterPool deflaters = new DeflaterPool();
  /** The proxy's clock: how long an idle connection has waited. */
  private final Clock clock;
  /** The longest an HTTP/1.1 connection is kept idle ({@code timeouts.backend_idle}). */
  private final long backendIdleNanos;
  /** Whether a sweep of expired idle connections is scheduled on this loop. */
  private boolean sweepScheduled;
  private final Bootstrap bootstrap;
  /** For backends on Unix domain sockets: no TCP options there. */
  private final Bootstrap domainBootstrap;
  private final Transport transport;
  /** TLS to backends, or null when the data plane speaks cleartext to them. */
  private final BackendTls backendTls;
  private final Map<Backend, ArrayDeque<Http1Link>> idle = new IdentityHashMap<>();
  private final Map<Backend, ArrayList<Http2BackendConnection>> http2 = new IdentityHashMap<>();
  private final Map<Backend, Integer> maxStreamsSeen = new IdentityHashMap<>();

  LoopContext(EventLoop loop, Transport transport, int connectTimeoutMillis, BackendTls backendTls,
      Clock clock, long backendIdleNanos, Http2WindowBudget windowBudget, RetryBudget retryBudget, ProxyStats stats) {
    this.loop = loop;
    this.mirror = new Mirror(this, stats, clock, backendIdleNanos);
    this.windowBudget = windowBudget;
    this.retryBudget = retryBudget;
    this.clock = clock;
    this.backendIdleNanos = backendIdleNanos;
    this.backendTls = backendTls;
    this.transport = transport;
    this.domainBootstrap = new Bootstrap()
        .group(loop)
        .channel(transport.domainSocketChannel())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
    this.bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(transport.socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
            // Never a DNS look-up on an event loop: a backend's name is looked up on the control
            // plane, and until it resolves, connecting to it fails at once.
            .resolver(NoopAddressResolverGroup.INSTANCE);
  }

  /**
   * An idle, open HTTP/1.1 connection to the backend, or null. {@code resendable}: the request may
   * be sent again if the backend closes the connection under it, so it may take one idle past
   * {@code timeouts.backend_idle} ({@link #RESENDABLE_IDLE_NANOS}). Call on this loop only.
   */
  Http1Link acquire(Backend backend, boolean resendable) {
    ArrayDeque<Http1Link> q = idle.get(backend);
    if (q == null) {
      return null;
    }
    Http1Link c;
    long now = clock.nanos();
    while ((c = q.peekFirst()) != null) {
      boolean sound = c.channel.isActive() && !c.reader.hasLeftover() && c.connectedTo == backend.address();
      if (sound && (now - c.idleUntilNanos < 0 || resendable && now - c.resendableUntilNanos < 0)) {
        q.pollFirst();
        c.reused = true;
        return c;
      }
      if (sound && now - c.resendableUntilNanos < 0) {
        // Past backend_idle: kept for requests that can be sent again; those behind it waited
        // longer still.
        return null;
      }
      // Closed, or the backend said something unasked while idle, or idle for as long as the backend
      // said it would wait (it may be closing it as we speak), or opened to an address the
      // backend's name has since left: not to be used.
      q.pollFirst();
      c.channel.close();
    }
    return null;
  }

  /** A bootstrap for a new connection to {@code b}: over TCP, or to its Unix domain socket. */
  private Bootstrap bootstrapFor(Backend b) {
    return (b.unixPath() != null ? domainBootstrap : bootstrap).clone();
  }

  /** Where a new connection to {@code b} goes, given the address it was opened to (as the backend gives it). */
  private java.net.SocketAddress target(java.net.SocketAddress address) {
    return address instanceof java.net.UnixDomainSocketAddress unix ? transport.domainAddress(unix) : address;
  }

  /** Opens a new HTTP/1.1 connection to the backend on this loop. */
  ChannelFuture connect(Http1Link link) {
    Bootstrap b = bootstrapFor(link.backend);
    b.handler(new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        if (backendTls != null) {
          // An auto backend is offered h2 too until its first connection settles what it speaks.
          SslContext ctx = link.backend.protocol() == BackendProtocol.AUTO ? backendTls.auto() : backendTls.http1();
          ch.pipeline().addLast("tls", ctx.newHandler(ch.alloc(), link.backend.host(), link.backend.port()));
        }
        // No codec: the proxy writes request bytes itself and the connection reads responses itself.
        ch.pipeline().addLast("backend", link.handler());
      }
    });
    link.connectedTo = link.backend.address();
    ChannelFuture connected = b.connect(target(link.connectedTo));
    if (backendTls == null || link.backend.protocol() != BackendProtocol.AUTO) {
      return connected;
    }
    // Auto: ready once ALPN has spoken. h2 means this connection is not for HTTP/1.1: the backend
    // is marked h2 and the attempt fails with AlpnChoseHttp2, to go again as a stream.
    ChannelPromise ready = connected.channel().newPromise();
    connected.addListener((ChannelFuture f) -> {
      if (!f.isSuccess()) {
        ready.setFailure(f.cause());
        return;
      }
      SslHandler tls = f.channel().pipeline().get(SslHandler.class);
      tls.handshakeFuture().addListener(h -> {
        if (!h.isSuccess()) {
          ready.tryFailure(h.cause());
          return;
        }
        boolean h2 = ApplicationProtocolNames.HTTP_2.equals(tls.applicationProtocol());
        link.backend.negotiated(h2);
        if (h2) {
          f.channel().close();
          ready.tryFailure(AlpnChoseHttp2.INSTANCE);
        } else {
          ready.trySuccess();
        }
      });
    });
    return ready;
  }

  /** Opens a connection for copies of requests to the mirror: HTTP/1.1, over TLS when the backends' connections are. */
  ChannelFuture connectMirror(Backend mirrorBackend, io.netty.channel.ChannelHandler handler) {
    Bootstrap b = bootstrapFor(mirrorBackend);
    b.handler(new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        if (backendTls != null) {
          ch.pipeline().addLast("tls", backendTls.http1().newHandler(ch.alloc(), mirrorBackend.host(), mirrorBackend.port()));
        }
        ch.pipeline().addLast("mirror", handler);
      }
    });
    return b.connect(target(mirrorBackend.address()));
  }

  /**
   * A link on a new stream to an HTTP/2 backend, on a connection of this loop with room for it (a
   * new connection when none has). Its owner hears {@link UpstreamRequest#linkReady} once the
   * stream is open, or {@link UpstreamRequest#onBackendClosed} when it cannot be. Call on this loop
   * only.
   */
  Http2Link stream(Backend backend, UpstreamRequest owner, byte[] servedByName) {
    ArrayList<Http2BackendConnection> list = connections(backend);
    for (int i = 0, n = list.size(); i < n; i++) {
      Http2BackendConnection c = list.get(i);
      if (c.hasRoom()) {
        return c.newLink(owner, servedByName, scheme());
      }
    }
    return newConnection(backend, list).newLink(owner, servedByName, scheme());
  }

  /** Puts a link that has no stream yet on a connection with room for it. */
  void place(Http2Link link) {
    ArrayList<Http2BackendConnection> list = connections(link.backend);
    for (int i = 0, n = list.size(); i < n; i++) {
      Http2BackendConnection c = list.get(i);
      if (c.hasRoom()) {
        c.adopt(link);
        return;
      }
    }
    newConnection(link.backend, list).adopt(link);
  }

  /**
   * This loop's HTTP/2 connections to the backend, as the map holds them. Those opened to an
   * address the backend's name has since left are drained first (no new stream; closed once idle):
   * draining takes them out of the map, and may place their waiting streams anew.
   */
  private ArrayList<Http2BackendConnection> connections(Backend backend) {
    ArrayList<Http2BackendConnection> list = http2.get(backend);
    if (list != null) {
      ArrayList<Http2BackendConnection> moved = null;
      for (int i = 0, n = list.size(); i < n; i++) {
        Http2BackendConnection c = list.get(i);
        if (c.connectedTo != backend.address()) {
          (moved == null ? moved = new ArrayList<>(2) : moved).add(c);
        }
      }
      if (moved == null) {
        return list;
      }
      for (Http2BackendConnection c : moved) {
        c.drain();
      }
    }
    return http2.computeIfAbsent(backend, b -> new ArrayList<>(2));
  }

  private Http2BackendConnection newConnection(Backend backend, ArrayList<Http2BackendConnection> list) {
    Http2BackendConnection c = new Http2BackendConnection(
        backend, this, maxStreamsSeen.getOrDefault(backend, Http2BackendConnection.DEFAULT_MAX_STREAMS));
    list.add(c);
    connectHttp2(c);
    return c;
  }

  /** What a backend's SETTINGS allowed, as the guess for its next connection until that one's arrive. */
  void learnedMaxStreams(Backend backend, int max) {
    maxStreamsSeen.put(backend, Math.max(1, max));
  }

  private String scheme() {
    return backendTls == null ? "http" : "https";
  }

  private void connectHttp2(Http2BackendConnection c) {
    Bootstrap b = bootstrapFor(c.backend);
    b.handler(new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        if (backendTls != null) {
          // HTTP/2 over TLS: ALPN offers h2 alone; the connection checks it was agreed.
          ch.pipeline().addLast("tls", backendTls.h2().newHandler(ch.alloc(), c.backend.host(), c.backend.port()));
        }
        // Streams open once the backend's SETTINGS have said how many it takes, never past that.
        ch.pipeline().addLast("h2", c.handler(ch));
      }
    });
    c.connectedTo = c.backend.address();
    b.connect(target(c.connectedTo)).addListener((ChannelFuture f) -> {
      if (f.isSuccess()) {
        c.connected(f.channel());
      } else {
        c.failed();
      }
    });
  }

  /** Takes back an HTTP/1.1 connection after a complete exchange, or closes it when it can't be kept. */
  void release(Http1Link c) {
    c.owner = null;
    if (!c.channel.isActive() || c.backend.isRemoved() || c.connectedTo != c.backend.address()) {
      c.channel.close();
      return;
    }
    if (!c.channel.config().isAutoRead()) {
      c.channel.config().setAutoRead(true);
    }
    // Ours, and never within a second of the backend's own limit, said (Keep-Alive: timeout=N) or
    // seen (the shortest wait after which it closed one unasked): its close may be on the way.
    long limit = Math.min(lessMargin(c.saidIdleNanos), lessMargin(c.backend.idleCloseSeenNanos()));
    long keepFor = Math.min(backendIdleNanos, limit);
    long resendableFor = Math.min(Math.max(backendIdleNanos, RESENDABLE_IDLE_NANOS), limit);
    if (resendableFor == 0) {
      c.channel.close();
      return;
    }
    long now = clock.nanos();
    c.idleSinceNanos = now;
    c.idleUntilNanos = now + keepFor;
    c.resendableUntilNanos = now + resendableFor;
    ArrayDeque<Http1Link> q = idle.computeIfAbsent(c.backend, b -> new ArrayDeque<>());
    if (q.size() >= MAX_IDLE_PER_BACKEND) {
      c.channel.close();
      return;
    }
    // Most recently used first: hot connections stay hot, cold ones wait at the tail to expire.
    q.addFirst(c);
    if (!sweepScheduled) {
      sweepScheduled = true;
      loop.schedule(this::sweep, SWEEP_SECONDS, TimeUnit.SECONDS);
    }
  }

  /** A backend's idle limit less the margin (at least 0); no limit for -1 or MAX_VALUE (none said, none seen). */
  private static long lessMargin(long limitNanos) {
    return limitNanos < 0 || limitNanos == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, limitNanos - IDLE_CLOSE_MARGIN_NANOS);
  }

  /**
   * Closes the idle connections that waited past their time, from the tail of each pool where the
   * oldest are: a connection past its time is never reused anyway ({@link #acquire}), and closing
   * it frees both ends' sockets, as nginx's upstream {@code keepalive_timeout} does. Runs while any
   * connection is idle on this loop.
   */
  private void sweep() {
    long now = clock.nanos();
    boolean anyLeft = false;
    for (ArrayDeque<Http1Link> q : idle.values()) {
      Http1Link c;
      while ((c = q.peekLast()) != null && now - c.resendableUntilNanos >= 0) {
        q.pollLast();
        c.channel.close();
      }
      anyLeft |= !q.isEmpty();
    }
    sweepScheduled = anyLeft;
    if (anyLeft) {
      loop.schedule(this::sweep, SWEEP_SECONDS, TimeUnit.SECONDS);
    }
  }

  /**
   * Drops a closed idle connection from the pool. One still in it was closed by the backend, not by
   * stc (which takes a connection out before it closes it): after a second or more of waiting, and
   * once more at a like wait, that is the backend's unsaid idle timeout, and its connections are not
   * kept that long again.
   */
  void forget(Http1Link c) {
    ArrayDeque<Http1Link> q = idle.get(c.backend);
    if (q != null && q.remove(c)) {
      long now = clock.nanos();
      long waited = now - c.idleSinceNanos;
      long before = c.backend.idleCloseSeenNanos();
      // Shorter waits say nothing of a timeout (a backend restarting closes every connection). One
      // line when it is learned, and again only when it falls by a tenth or more.
      if (waited >= IDLE_CLOSE_MARGIN_NANOS && c.backend.idleCloseSeen(waited, now)
          && (before == Long.MAX_VALUE || c.backend.idleCloseSeenNanos() < before - before / 10)) {
        long learned = c.backend.idleCloseSeenNanos();
        LOG.info("backend {} closed connections idle for {} ms, twice, without saying it would: its connections are not reused after {} ms idle",
            c.backend.id(), learned / 1_000_000, (learned - IDLE_CLOSE_MARGIN_NANOS) / 1_000_000);
      }
    }
  }

  /** An HTTP/2 connection takes no new streams any more. */
  void forget(Http2BackendConnection c) {
    ArrayList<Http2BackendConnection> list = http2.get(c.backend);
    if (list != null) {
      list.remove(c);
      if (list.isEmpty()) {
        http2.remove(c.backend);
      }
    }
  }

  /** Closes every idle connection to a backend that left the pool, and drains its HTTP/2 ones. Call on this loop. */
  void closeIdle(Backend backend) {
    ArrayDeque<Http1Link> q = idle.remove(backend);
    if (q != null) {
      for (Http1Link c : q) {
        c.channel.close();
      }
    }
    maxStreamsSeen.remove(backend);
    ArrayList<Http2BackendConnection> list = http2.remove(backend);
    if (list != null) {
      for (Http2BackendConnection c : new ArrayList<>(list)) {
        c.drain();
      }
    }
  }

  /** Closes all idle connections, and every HTTP/2 one. Call on this loop. */
  void closeAll() {
    // Out of the pool first: a connection stc closes is not the backend closing it.
    ArrayList<ArrayDeque<Http1Link>> pools = new ArrayList<>(idle.values());
    idle.clear();
    for (ArrayDeque<Http1Link> q : pools) {
      for (Http1Link c : q) {
        c.channel.close();
      }
    }
    for (ArrayList<Http2BackendConnection> list : new ArrayList<>(http2.values())) {
      for (Http2BackendConnection c : new ArrayList<>(list)) {
        c.close();
      }
    }
    http2.clear();
    maxStreamsSeen.clear();
    mirror.closeAll();
  }
}
