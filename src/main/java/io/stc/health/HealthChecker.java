package io.stc.health;

import io.stc.config.StcConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.PoolEvent;
import io.stc.pool.Upstream;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.PemTrustOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every backend with {@code GET path} (passing on a status in {@code expect_status}) and moves it between UP and DOWN: {@code fall}
 * failures in a row take it out, {@code rise} successes bring it back. A backend is probed as
 * soon as it joins, and a backend that was never UP (or was only ejected passively) comes in at
 * its first success.
 */
public final class HealthChecker implements PassiveHealth, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);
  /** The most of a probe's response body read: a health answer is small. */
  static final int MAX_BODY = 64 * 1024;

  private final Vertx vertx;
  private final Context context;
  private final Upstream upstream;
  private final StcConfig.Health config;
  private final HttpClientAgent client;
  /** For HTTP/2 backends: prior knowledge in cleartext (h2c), ALPN over TLS. */
  private final HttpClientAgent h2Client;
  private final boolean tlsToBackends;
  /** For {@code health.tcp}: connections opened and closed. */
  private final NetClient tcpClient;
  private final Map<Backend, Probe> probes = new ConcurrentHashMap<>();
  private volatile boolean closed;

  public HealthChecker(Vertx vertx, Upstream upstream, StcConfig.Health config) {
    this(vertx, upstream, config, io.stc.config.TlsConfig.defaults());
  }

  /** A checker that probes over TLS when the data plane speaks TLS to backends. */
  public HealthChecker(Vertx vertx, Upstream upstream, StcConfig.Health config, io.stc.config.TlsConfig tls) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.upstream = upstream;
    this.config = config;
    long timeoutMillis = config.timeout().toMillis();
    HttpClientOptions options =
        new HttpClientOptions()
            .setKeepAlive(false)
            .setConnectTimeout((int) timeoutMillis)
            .setIdleTimeout((int) timeoutMillis)
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    if (tls.backends()) {
      // Probe the way the data plane connects: same trust, same host-name check.
      options.setSsl(true).setVerifyHost(tls.backendVerify()).setTrustAll(!tls.backendVerify());
      if (tls.backendVerify() && tls.backendCa() != null) {
        options.setTrustOptions(new PemTrustOptions().addCertPath(tls.backendCa()));
      }
    }
    this.client = vertx.createHttpClient(options);
    this.h2Client = vertx.createHttpClient(new HttpClientOptions(options)
        .setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false)
        .setUseAlpn(tls.backends()));
    this.tlsToBackends = tls.backends();
    this.tcpClient = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) timeoutMillis));
  }

  /** Whether a backend is probed over HTTP/2: what the data plane speaks to it. */
  private boolean http2(Backend b) {
    return switch (b.protocol()) {
      case H2, H2C -> true;
      case AUTO -> tlsToBackends;
      case HTTP1 -> false;
    };
  }

  /** Starts probing the backends present now and every one added later. */
  public void start() {
    upstream.addListener(this::onPoolEvent);
    for (Backend b : upstream.pool().all()) {
      watch(b);
    }
  }

  /**
   * Waits until every backend present now has had its first probe answered, or the timeout
   * passes, so a fresh stc does not answer 503 while its first checks are in flight.
   */
  public void awaitFirstResults(Duration timeout) {
    List<CompletableFuture<Void>> firsts = probes.values().stream().map(p -> p.first).toList();
    try {
      CompletableFuture.allOf(firsts.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.debug("not every first health check answered within {}", timeout);
    }
  }

  /** The last probe result for a backend, or null before the first. */
  public HealthResult lastResult(Backend b) {
    Probe p = probes.get(b);
    return p == null ? null : p.last;
  }

  @Override
  public void connectFailed(Backend backend, Throwable cause) {
    if (closed || backend.state() != BackendState.UP) {
      return;
    }
    if (upstream.setState(backend, BackendState.DOWN, "passive: " + describe(cause))) {
      context.runOnContext(v -> {
        Probe p = probes.get(backend);
        if (p != null) {
          p.passivelyDown = true;
          p.okStreak = 0;
        }
      });
    }
  }

  private void onPoolEvent(PoolEvent e) {
    switch (e.kind()) {
      case ADDED -> watch(e.backend());
      case REMOVED -> {
        Probe p = probes.remove(e.backend());
        if (p != null) {
          vertx.cancelTimer(p.timerId);
        }
      }
      default -> {}
    }
  }

  private void watch(Backend b) {
    if (closed) {
      return;
    }
    Probe p = new Probe(b);
    if (probes.putIfAbsent(b, p) != null) {
      return;
    }
    context.runOnContext(v -> {
      probe(p);
      p.timerId = vertx.setPeriodic(config.interval().toMillis(), id -> probe(p));
    });
  }

  private void probe(Probe p) {
    if (closed || probes.get(p.backend) != p || p.inProgress) {
      return;
    }
    p.inProgress = true;
    Backend b = p.backend;
    if (config.grpc()) {
      probeGrpc(p);
      return;
    }
    if (config.tcp()) {
      probeTcp(p);
      return;
    }
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost(probeHost(b))
            .setPort(port(b))
            .setServer(server(b))
            .setURI(config.path())
            .setConnectTimeout(config.timeout().toMillis())
            .setIdleTimeout(config.timeout().toMillis());
    (http2(b) ? h2Client : client)
        .request(options)
        .compose(req -> configured(req).send())
        .compose(HealthChecker::drained)
        .onComplete(ar -> {
          p.inProgress = false;
          if (ar.succeeded()) {
            int code = ar.result();
            boolean ok = config.expectStatus().contains(code);
            onResult(p, ok, "HTTP " + code + (ok ? "" : ", expected " + config.expectStatus()));
          } else {
            onResult(p, false, describe(ar.cause()));
          }
        });
  }

  /** The probe as configured: {@code health.host} as its Host (or :authority), {@code health.headers} added. */
  private HttpClientRequest configured(HttpClientRequest req) {
    if (!config.host().isEmpty()) {
      req.authority(HostAndPort.parseAuthority(config.host(), -1));
    }
    config.headers().forEach(req::putHeader);
    return req;
  }

  /**
   * The response's status once its body was read and dropped. A body past {@link #MAX_BODY} is
   * not read on: the connection is reset and the status stands, so a backend that streams without
   * end cannot hold its probe (and its state) forever.
   */
  private static Future<Integer> drained(HttpClientResponse resp) {
    Promise<Integer> status = Promise.promise();
    long[] read = {0};
    resp.handler(chunk -> {
      read[0] += chunk.length();
      if (read[0] > MAX_BODY && status.tryComplete(resp.statusCode())) {
        resp.request().reset();
      }
    });
    resp.exceptionHandler(e -> status.tryFail(e));
    resp.endHandler(v -> status.tryComplete(resp.statusCode()));
    return status.future();
  }

  /**
   * Where a probe connects (at {@link #port}): the address the data plane connects to, so both judge the same
   * instance when the backend's name moves (the host still names it in the Host header and SNI);
   * for a name that does not resolve yet, none, and Vert.x looks it up.
   */
  private SocketAddress server(Backend b) {
    if (b.unixPath() != null) {
      return SocketAddress.domainSocketAddress(b.unixPath());
    }
    java.net.InetSocketAddress a = b.inetAddress();
    // By the address's text: given the resolved InetSocketAddress, Vert.x looks its host name up
    // again with a resolver of its own, whose answer may be older than the data plane's.
    if (a.isUnresolved()) {
      return null;
    }
    // Vert.x makes an authority of it, where an IPv6 literal must be in brackets.
    return SocketAddress.inetSocketAddress(port(b), Backend.bracketed(a.getAddress().getHostAddress()));
  }

  /** The host a probe names (in its Host, when health.host sets none): the backend's, or localhost for a Unix domain socket's. */
  private static String probeHost(Backend b) {
    return b.unixPath() != null ? "localhost" : Backend.bracketed(b.host());
  }

  /** The port probes go to: {@code health.port}, else the backend's own (TCP backends; one on a Unix domain socket is probed there). */
  private int port(Backend b) {
    if (b.unixPath() != null) {
      // The socket file is where probes go; the port is only what the Host names: none.
      return 80;
    }
    return config.port() != 0 ? config.port() : b.port();
  }

  /** A connection opened and closed, HAProxy's default check: the backend passes when it accepts one within the timeout. */
  private void probeTcp(Probe p) {
    Backend b = p.backend;
    SocketAddress at = server(b);
    tcpClient.connect(at != null ? at : SocketAddress.inetSocketAddress(port(b), b.host())).onComplete(ar -> {
      p.inProgress = false;
      if (ar.succeeded()) {
        ar.result().close();
        onResult(p, true, "TCP connect");
      } else {
        onResult(p, false, describe(ar.cause()));
      }
    });
  }

  /** gRPC's health protocol: {@code Check} for the configured service; SERVING with status OK passes. */
  private void probeGrpc(Probe p) {
    Backend b = p.backend;
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost(probeHost(b))
            .setPort(port(b))
            .setServer(server(b))
            .setURI(GrpcHealthCheck.PATH)
            .putHeader("content-type", "application/grpc")
            .putHeader("te", "trailers")
            .setConnectTimeout(config.timeout().toMillis())
            .setIdleTimeout(config.timeout().toMillis());
    // gRPC is HTTP/2 whatever the backend's protocol says.
    h2Client
        .request(options)
        .compose(req -> configured(req).send(Buffer.buffer(GrpcHealthCheck.request(config.service()))))
        .compose(resp -> resp.body().map(body -> GrpcHealthCheck.verdict(resp.statusCode(), resp.headers(), resp.trailers(), body.getBytes())))
        .onComplete(ar -> {
          p.inProgress = false;
          if (ar.succeeded()) {
            String verdict = ar.result();
            onResult(p, verdict.equals(GrpcHealthCheck.SERVING), "gRPC " + verdict);
          } else {
            onResult(p, false, describe(ar.cause()));
          }
        });
  }

  private void onResult(Probe p, boolean ok, String detail) {
    p.last = new HealthResult(System.currentTimeMillis(), ok, detail);
    Backend b = p.backend;
    if (ok) {
      p.okStreak++;
      p.failStreak = 0;
      if (b.state() == BackendState.DOWN && (!p.everUp || p.passivelyDown || p.okStreak >= config.rise())) {
        if (upstream.setState(b, BackendState.UP, "health check passed (" + detail + ")")) {
          p.passivelyDown = false;
        }
      }
      if (b.state() == BackendState.UP) {
        p.everUp = true;
      }
    } else {
      p.failStreak++;
      p.okStreak = 0;
      if (b.state() == BackendState.UP && p.failStreak >= config.fall()) {
        upstream.setState(b, BackendState.DOWN, "health check failed " + p.failStreak + " times (" + detail + ")");
      } else if (!p.everUp && b.state() == BackendState.DOWN && !detail.equals(p.toldWhyNotUp)) {
        // A backend that never came in changes no state, so nothing else would say why it takes
        // no traffic: the first day's "every request 503" for a service without a health route.
        p.toldWhyNotUp = detail;
        log.warn("backend {} takes no requests until a health check passes: {}{}", b.id(), detail,
            detail.startsWith("HTTP ")
                ? "; health.path (" + config.path() + ") must answer a status in health.expect_status, or set health.tcp: true"
                    + " (a connection alone passes) or health.enabled: false"
                : "");
      }
    }
    p.first.complete(null);
  }

  private static String describe(Throwable t) {
    if (t == null) {
      return "unknown error";
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }

  @Override
  public void close() {
    closed = true;
    for (Probe p : probes.values()) {
      vertx.cancelTimer(p.timerId);
    }
    probes.clear();
    client.close();
    h2Client.close();
    tcpClient.close();
  }

  /** Probe state of one backend; touched only on the checker's context. */
  private static final class Probe {
    final Backend backend;
    final CompletableFuture<Void> first = new CompletableFuture<>();
    long timerId = -1;
    int okStreak;
    int failStreak;
    boolean everUp;
    boolean passivelyDown;
    boolean inProgress;
    /** The failure last logged for a backend that was never UP, so each reason is said once. */
    String toldWhyNotUp;
    volatile HealthResult last;

    Probe(Backend backend) {
      this.backend = backend;
      this.everUp = backend.state() == BackendState.UP;
    }
  }
}
