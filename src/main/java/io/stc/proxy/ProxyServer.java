package io.stc.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.stc.Clock;
import io.stc.balance.Balancer;
import io.stc.config.ConfigChanges;
import io.stc.config.StcConfig;
import io.stc.config.TlsConfig;
import io.stc.health.CircuitBreakers;
import io.stc.health.PassiveHealth;
import io.stc.limit.RateLimiter;
import io.stc.session.StickySessions;
import io.stc.pool.PoolEvent;
import io.stc.pool.Upstream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The data plane: an HTTP/1.1 listener that forwards every request to a backend picked from the upstream. */
public final class ProxyServer {
  private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

  final Upstream upstream;
  final Clock clock;
  /**
   * What the configuration says, worked out once and again on each reload that changes it: each
   * request reads it as it starts (through its exchange), so a reload applies from the next request
   * on, on open connections too, and never within one.
   */
  volatile ProxySettings settings;
  /** Whether the data plane speaks TLS to backends (fixed at start). */
  private final boolean tlsToBackends;
  final ProxyStats stats = new ProxyStats();
  /** Where recorded spans go ({@code tracing}); idle until an endpoint is configured. */
  final TraceExporter traces = new TraceExporter(stats);
  final PassiveHealth passiveHealth;
  /** Null when circuit breaking is off. */
  final CircuitBreakers breakers;
  /** The steps every exchange goes through. */
  final ExchangeSteps steps;
  /** Null when there is no capacity limit. */
  final RequestQueue queue;
  // Changed at run time (an API call, a reload, shutdown): read afresh by each exchange.
  volatile RateLimiter rateLimiter = RateLimiter.NONE;
  volatile Balancer balancer;
  volatile ExchangeListener listener;
  volatile boolean draining;
  /** Open WebSocket tunnels, so draining a backend can say goodbye on them. */
  final java.util.Set<Tunnel> tunnels = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The sticky sessions the balancer consults (NONE when off). */
  final StickySessions sticky;

  private final StcConfig config;
  /** The configuration in force: the one started with, and what reloads changed of it. */
  private StcConfig inForce;
  private Transport transport;
  private final Map<EventExecutor, LoopContext> loops = new IdentityHashMap<>();
  private final ConnectionCounts connections;
  /** Set once started; read by connections on their event loops. */
  volatile ClientPipelines pipelines;
  private EventLoopGroup bossGroup;
  private EventLoopGroup workerGroup;
  private ChannelGroup clients;
  /** The longest a client connection must have been quiet before a shutdown closes it (see ClientConnection.closeIfIdle). */
  private static final long DRAIN_QUIET_NANOS = 1_000_000_000L;
  /** How long an accept the transport had under way may take to show once the listener is closed. */
  private static final long LATE_ACCEPT_NANOS = 50_000_000L;

  private Channel serverChannel;
  /** Listening sockets handed over by another process, not yet taken by a listener. */
  private List<Integer> adopted = new ArrayList<>();
  /** The plain listener that sends clients to the TLS one ({@code tls.redirect_port}), or null. */
  private Channel redirectChannel;
  /** Null when the listener speaks plain HTTP. */
  private final ListenerTls listenerTls;

  public ProxyServer(
      StcConfig config,
      Upstream upstream,
      Balancer balancer,
      PassiveHealth passiveHealth,
      CircuitBreakers breakers,
      StickySessions sticky,
      Clock clock) {
    this.config = config;
    this.upstream = upstream;
    this.balancer = balancer;
    this.passiveHealth = passiveHealth;
    this.breakers = breakers;
    this.sticky = sticky;
    this.clock = clock;
    this.inForce = config;
    this.tlsToBackends = config.tls().backends();
    int maxInflight = config.capacity().maxInflight();
    this.queue = maxInflight > 0 ? new RequestQueue(config.capacity().queueMax(), config.capacity().queueMaxMemory()) : null;
    this.listenerTls = config.tls().enabled() ? new ListenerTls(config.tls(), java.nio.file.Path.of(config.stateDir())) : null;
    this.settings = ProxySettings.of(config, breakers != null && breakers.counts5xx(), listenerTls != null);
    traces.configure(config.tracing());
    this.steps = ExchangeSteps.of(this, sticky);
    this.connections = new ConnectionCounts(config.limits().connections(), config.limits().connectionsPerClient());
  }

  /** The socket transport in use once started: io_uring, epoll or nio. */
  String transportName() {
    return transport == null ? null : transport.name();
  }

  /**
   * Listening sockets another stc process handed over ({@link ListenerHandoff}): {@link #start()}
   * accepts on the one bound to this listener's port (the first, with port 0) instead of binding
   * it, and on the one of the redirect listener's; the rest are closed. Call before start.
   */
  public void adopt(List<Integer> fds) {
    this.adopted = new ArrayList<>(fds);
  }

  /** The file descriptors of the listening sockets, the data plane's first (the redirect listener's next), for a handoff. */
  public List<Integer> listenerFds() {
    List<Integer> fds = new ArrayList<>(2);
    for (Channel ch : new Channel[] {serverChannel, redirectChannel}) {
      if (ch instanceof io.netty.channel.unix.UnixChannel u && ch.isOpen()) {
        fds.add(u.fd().intValue());
      }
    }
    return fds;
  }

  /**
   * The transport {@code choice} would run on here (io_uring, epoll or nio), as {@link #start()}
   * would take it.
   *
   * @throws IllegalStateException if the named transport cannot run here, with the reason
   */
  public static String transportName(String choice) {
    return Transport.of(choice).name();
  }

  /** Binds the listener; returns the port it listens on. */
  public int start() throws InterruptedException {
    if (!adopted.isEmpty() && !config.transport().equals("epoll")) {
      // Only epoll's server channel can be made from a socket that is already listening.
      log.info("accepting on the listening sockets handed over, with the epoll transport (transport: {} asked)", config.transport());
    }
    transport = Transport.of(adopted.isEmpty() ? config.transport() : "epoll");
    bossGroup = transport.newGroup(1, "stc-accept");
    workerGroup = transport.newGroup(config.effectiveIoThreads(), "stc-io");
    clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    int connectMillis = (int) Math.min(Integer.MAX_VALUE, config.timeouts().connect().toMillis());
    BackendTls backendTls = config.tls().backends() ? BackendTls.of(config.tls()) : null;
    int loopCount = config.effectiveIoThreads();
    for (EventExecutor e : workerGroup) {
      loops.put(e, new LoopContext((EventLoop) e, transport, connectMillis, backendTls, clock,
          config.timeouts().backendIdle().toNanos(), Http2WindowBudget.perLoop(Runtime.getRuntime().maxMemory(), loopCount, stats),
          new RetryBudget(config.retryBudget(), loopCount), stats));
    }
    upstream.addListener(this::onPoolEvent);
    pipelines = new ClientPipelines(this, config, clock);
    ServerBootstrap b =
        new ServerBootstrap()
            .group(bossGroup, workerGroup)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                if (config.proxyProtocol()) {
                  // Who the client is, and so what its pipeline and its own limit are, is known
                  // once the balancer's header has said it; the connection takes a place from now,
                  // or connections that never send one would be free to hold.
                  if (!connections.openUnnamed(ch)) {
                    stats.connectionRefused();
                    ch.close();
                    return;
                  }
                  ProxyProtocolReader.install(ch, config.timeouts().header().toNanos(),
                      (c, client) -> accepted((SocketChannel) c, client, !connections.name(c, perClient(client))));
                  return;
                }
                java.net.InetAddress client = ch.remoteAddress() == null ? null : ch.remoteAddress().getAddress();
                accepted(ch, client, !connections.open(ch, perClient(client)));
              }

              /** What counts against limits.connections_per_client: not a trusted proxy, whose connections carry many clients. */
              private java.net.InetAddress perClient(java.net.InetAddress client) {
                return settings.trustedProxies().trusts(client) ? null : client;
              }

              private void accepted(SocketChannel ch, java.net.InetAddress client, boolean refused) {
                if (refused) {
                  stats.connectionRefused();
                  if (listenerTls == null) {
                    // Answer 503 at once; a TLS client is answered once the handshake is done.
                    ch.pipeline().addLast("refusal", new ConnectionRefusal(settings.errorPages().page(503)));
                    return;
                  }
                }
                stats.connectionOpened();
                ch.closeFuture().addListener(f -> stats.connectionClosed());
                clients.add(ch);
                if (listenerTls == null) {
                  pipelines.plain(ch.pipeline());
                } else {
                  pipelines.secure(ch.pipeline(), listenerTls.newHandler(ch), refused);
                }
              }
            });
    serverChannel = listen(b, config.port(), true);
    if (listenerTls != null) {
      listenerTls.start();
    }
    int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    if (listenerTls != null && config.tls().redirects()) {
      try {
        bindRedirect(config.tls().redirectHttpsPort() > 0 ? config.tls().redirectHttpsPort() : port);
      } catch (RuntimeException e) {
        serverChannel.close();
        throw new IllegalStateException("redirect listener (tls.redirect_port) on " + config.host() + ":"
            + config.tls().redirectPort() + ": " + e.getMessage(), e);
      }
      log.info("redirecting http://{}:{} to https", config.host(), redirectPort());
    }
    closeUnadopted();
    log.info("data plane on {}:{} ({} event loops, {})", config.host(), port, config.effectiveIoThreads(), transport.name());
    return port;
  }

  /**
   * Accepts with {@code b} (no channel set) on a handed-over socket bound to {@code port} (to any
   * port for the first, the data plane's, when port is 0), or binds one.
   */
  private Channel listen(ServerBootstrap b, int port, boolean first) throws InterruptedException {
    for (int i = 0; i < adopted.size(); i++) {
      io.netty.channel.epoll.EpollServerSocketChannel ch = new io.netty.channel.epoll.EpollServerSocketChannel(adopted.get(i));
      InetSocketAddress at = ch.localAddress();
      if (at != null && (at.getPort() == port || port == 0 && first && i == 0)) {
        adopted.remove(i);
        b.channelFactory(() -> ch).register().sync();
        log.info("accepting on the listening socket {} handed over", at);
        return ch;
      }
    }
    return b.channel(transport.serverChannel()).bind(config.host(), port).sync().channel();
  }

  /** Closes handed-over sockets no listener took (the other process's listeners this config no longer has). */
  private void closeUnadopted() {
    for (int fd : adopted) {
      try {
        new io.netty.channel.unix.FileDescriptor(fd).close();
      } catch (java.io.IOException e) {
        log.debug("closing handed-over socket {}: {}", fd, e.toString());
      }
    }
    adopted.clear();
  }

  /** Binds the plain listener that answers every request with a redirect to {@code https://...:tlsPort}. */
  private void bindRedirect(int tlsPort) throws InterruptedException {
    ServerBootstrap b = new ServerBootstrap()
        .group(bossGroup, workerGroup)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            pipelines.redirect(ch.pipeline(), tlsPort);
          }
        });
    redirectChannel = listen(b, config.tls().redirectPort(), false);
  }

  /** The port of the listener that redirects to TLS ({@code tls.redirect_port}), or -1 when there is none. */
  public int redirectPort() {
    return redirectChannel == null ? -1 : ((InetSocketAddress) redirectChannel.localAddress()).getPort();
  }

  /** Deflaters at work across the event loops, each counted on its own loop (gzip-encoded responses under way). */
  int deflatersInUse() throws Exception {
    int n = 0;
    for (LoopContext lc : loops.values()) {
      n += lc.loop.submit(lc.deflaters::inUse).get(5, TimeUnit.SECONDS);
    }
    return n;
  }

  /** Client TCP connections open now (an HTTP/2 connection counts once, whatever its streams). */
  int openConnections() {
    return connections.open();
  }

  /** Client addresses with a connection open now: a PROXY header's source where one named it. */
  int connectedClients() {
    return connections.clients();
  }

  LoopContext loopContext(EventLoop loop) {
    return loops.get(loop);
  }

  /** Whether the data plane speaks TLS to backends (tls.backends, fixed at start). */
  public boolean tlsToBackends() {
    return tlsToBackends;
  }

  public ProxyStats stats() {
    return stats;
  }

  public Balancer balancer() {
    return balancer;
  }

  /** Switches the algorithm; requests already routed are not affected, new ones use it at once. */
  public void balancer(Balancer balancer) {
    this.balancer = balancer;
  }

  /** Adds a listener for finished exchanges; several are called in the order added. */
  public synchronized void addListener(ExchangeListener added) {
    ExchangeListener first = this.listener;
    this.listener =
        first == null
            ? added
            : ended -> {
              first.exchangeEnded(ended);
              added.exchangeEnded(ended);
            };
  }

  /** Sets the per-client rate limit applied before a request is routed. */
  public void rateLimiter(RateLimiter limiter) {
    this.rateLimiter = limiter;
  }

  /**
   * Applies a reloaded configuration's TLS listener settings (certificate files re-read).
   *
   * @return what changed, or null when the listener speaks plain HTTP
   * @throws IllegalStateException when the new certificates cannot be used; the running ones stay
   */
  /**
   * Takes what a reload may change while stc runs from {@code next} ({@link ConfigChanges#reloadable}):
   * each request from now on goes by it.
   *
   * @return the configuration now in force
   */
  /** The configuration in force: the one started with, and what reloads changed of it. */
  public synchronized StcConfig configInForce() {
    return inForce;
  }

  public synchronized StcConfig reloadSettings(StcConfig next) {
    StcConfig applied = ConfigChanges.reloadable(inForce, next);
    settings = ProxySettings.of(applied, breakers != null && breakers.counts5xx(), listenerTls != null);
    traces.configure(applied.tracing());
    inForce = applied;
    return applied;
  }

  public String reloadTls(TlsConfig tls) {
    return listenerTls == null ? null : listenerTls.reload(tls);
  }

  /** The TLS implementation of the listener (openssl or jdk), or null when it speaks plain HTTP. */
  public String tlsProvider() {
    return listenerTls == null ? null : listenerTls.provider();
  }

  /** Requests waiting for a backend with room. */
  public int queueDepth() {
    return queue == null ? 0 : queue.size();
  }

  /** Free request slots across available backends (bounded by the queue's length, which is all it is used for). */
  int freeSlots() {
    int free = 0;
    for (io.stc.pool.Backend b : upstream.pool().available()) {
      int limit = settings.inflightLimit(b);
      free += limit == 0 ? queueDepth() : Math.max(0, limit - b.stats().inFlight());
    }
    return free;
  }

  private void onPoolEvent(PoolEvent event) {
    if (queue != null && queue.size() > 0 && event.kind() != PoolEvent.Kind.REMOVED) {
      // A backend came UP, was added or got more weight: it may take waiters at once.
      queue.wakeForFree(freeSlots());
    }
    boolean leaving = event.kind() == PoolEvent.Kind.REMOVED
        || (event.kind() == PoolEvent.Kind.STATE_CHANGED && event.backend().state() == io.stc.pool.BackendState.DRAINING);
    if (leaving && !tunnels.isEmpty()) {
      // A WebSocket never finishes on its own: close those on a draining backend with 1001 (going away).
      for (Tunnel t : tunnels) {
        if (t.backend() == event.backend()) {
          t.goAway();
        }
      }
    }
    if (event.kind() == PoolEvent.Kind.REMOVED) {
      // A removed backend's idle connections die with its membership; busy ones close on release.
      for (LoopContext lc : loops.values()) {
        // After shutdown the loops are gone, and so are their connections.
        if (!lc.loop.isShuttingDown()) {
          lc.loop.execute(() -> lc.closeIdle(event.backend()));
        }
      }
    }
  }

  /**
   * Stops accepting, lets in-flight exchanges finish (up to {@code timeout}), then closes everything.
   *
   * @return whether every exchange finished in time
   */
  public boolean shutdown(Duration timeout) throws InterruptedException {
    if (listenerTls != null) {
      listenerTls.close();
    }
    if (serverChannel == null) {
      return true;
    }
    draining = true;
    // Bounded: should the event loops be gone (a fatal error killed them), shutdown still ends.
    serverChannel.close().await(5, TimeUnit.SECONDS);
    if (redirectChannel != null) {
      redirectChannel.close().await(5, TimeUnit.SECONDS);
      redirectChannel = null;
    }
    // Connections go once quiet for a moment, a tenth of the shutdown's time and at most a second
    // (new ones, and those in use, get their next request answered first); and io_uring may still
    // complete an accept it had under way as the listener closed, whose connection must find the
    // event loops running.
    long quietNanos = Math.min(DRAIN_QUIET_NANOS, timeout.toNanos() / 10);
    closeIdleClients(quietNanos);
    long deadline = System.nanoTime() + timeout.toNanos();
    long quiet = System.nanoTime() + quietNanos + LATE_ACCEPT_NANOS;
    long lateAccepts = System.nanoTime() + LATE_ACCEPT_NANOS;
    while ((stats.active() > 0 || System.nanoTime() < lateAccepts || !clients.isEmpty() && System.nanoTime() < quiet)
        && System.nanoTime() < deadline) {
      // Polling is fine here: shutdown is rare and bounded by the timeout.
      TimeUnit.MILLISECONDS.sleep(20);
      closeIdleClients(quietNanos);
    }
    boolean clean = stats.active() == 0;
    clients.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    for (LoopContext lc : loops.values()) {
      lc.loop.execute(lc::closeAll);
    }
    workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    serverChannel = null;
    // The last requests' spans go out before the process does.
    traces.close();
    return clean;
  }

  private void closeIdleClients(long quietNanos) {
    for (Tunnel t : tunnels) {
      // A WebSocket never finishes on its own: 1001 (going away) to each side.
      t.goAway();
    }
    for (Channel ch : clients) {
      ClientConnection c = ch.pipeline().get(ClientConnection.class);
      if (c != null) {
        ch.eventLoop().execute(() -> c.closeIfIdle(quietNanos));
      } else if (ch.pipeline().get(Http2ClientStreams.class) != null && ch.isActive()) {
        // HTTP/2's Connection: close: Netty's close sends GOAWAY with the last stream taken, lets
        // the streams under way finish, then closes; the client opens a new connection for more.
        ch.close();
      }
    }
  }
}
