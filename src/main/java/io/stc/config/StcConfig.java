package io.stc.config;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration of {@code stc serve}: what a config file holds, with command-line flags
 * applied on top. Every field has a default, so an empty file is a valid configuration.
 */
@RecordBuilder
public record StcConfig(
    String host,
    int port,
    int ioThreads,
    String algorithm,
    List<BackendConfig> backends,
    Health health,
    Timeouts timeouts,
    int retries,
    String servedByHeader,
    Duration shutdownTimeout,
    Limits limits,
    String hashKey,
    Duration slowStart,
    CircuitBreakerConfig circuitBreaker,
    String stateDir,
    Sticky sticky,
    Capacity capacity,
    Admin admin,
    AccessLog accessLog,
    Duration drainTimeout,
    AutoscaleConfig autoscale,
    TlsConfig tls,
    RateLimit rateLimit,
    String transport,
    boolean h2c,
    int retryBudget,
    boolean proxyProtocol,
    ClientIp clientIp,
    RequestId requestId,
    Access access,
    HeaderEdits headers,
    Compression compression,
    ErrorPages errorPages,
    StatusRanges retryOnStatus,
    Mirror mirror,
    Tracing tracing) implements StcConfigBuilder.With {

  public StcConfig {
    // Immutable, whoever built the list: a config is shared by threads and kept as the running one.
    backends = backends == null ? List.of() : List.copyOf(backends);
  }

  /** {@code retry_budget: off}: retries are bounded by {@code retries} alone. */
  public static final int NO_RETRY_BUDGET = -1;

  /** The most event loops {@code io_threads} may ask for. */
  public static final int MAX_IO_THREADS = 256;

  /** The socket transports {@code transport} can name; {@code auto} takes the fastest one here. */
  public static final java.util.Set<String> TRANSPORTS = java.util.Set.of("auto", "io_uring", "epoll", "nio");

  /**
   * {@code s} trimmed, if it names one of {@link #TRANSPORTS}.
   *
   * @throws IllegalArgumentException naming the choices otherwise
   */
  public static String transport(String s) {
    String t = s.trim();
    if (!TRANSPORTS.contains(t)) {
      throw new IllegalArgumentException("expected auto, io_uring, epoll or nio, got '" + s + "'");
    }
    return t;
  }

  /**
   * Per-backend capacity and the queue in front of it: at most {@code maxInflight} requests per
   * backend (0 = unlimited, no queue); when every backend is full, requests wait in FIFO order for
   * up to {@code queueTimeout} before a 503, as long as the queue holds at most
   * {@code queueMaxMemory} bytes (and, when {@code queueMax} is above 0, that many requests).
   */
  public record Capacity(int maxInflight, int queueMax, Duration queueTimeout, long queueMaxMemory) {
    /** A quarter of the heap: the queue never takes stc down, and never turns a request away while there is room. */
    public static final long DEFAULT_QUEUE_MEMORY = Runtime.getRuntime().maxMemory() / 4;

    /** With the default memory bound. */
    public Capacity(int maxInflight, int queueMax, Duration queueTimeout) {
      this(maxInflight, queueMax, queueTimeout, DEFAULT_QUEUE_MEMORY);
    }

    public static Capacity defaults() {
      return new Capacity(0, 0, Duration.ofSeconds(10), DEFAULT_QUEUE_MEMORY);
    }
  }

  /**
   * Passive ejection: {@code failure_threshold} consecutive failures open a backend's breaker for
   * {@code open_time} (doubling up to {@code max_open_time}); then {@code half_open_requests}
   * trials decide. At most {@code max_ejection_percent} of the pool is ever ejected.
   */
  public record CircuitBreakerConfig(
      boolean enabled,
      int failureThreshold,
      Duration openTime,
      int halfOpenRequests,
      Duration maxOpenTime,
      boolean count5xx,
      int maxEjectionPercent) {
    public static CircuitBreakerConfig defaults() {
      return new CircuitBreakerConfig(true, 5, Duration.ofSeconds(5), 1, Duration.ofSeconds(60), true, 50);
    }
  }

  /** One configured backend, and the protocol stc speaks to it. */
  /**
   * One backend as the config file, the API or {@code --backend} gives it; {@code backup}: see
   * {@link io.stc.pool.Backend#backup()}; {@code maxInflight}: its own limit of requests in flight
   * (0: the top-level {@code max_inflight}).
   */
  public record BackendConfig(String host, int port, int weight, io.stc.pool.BackendProtocol protocol, boolean backup, int maxInflight) {
    public BackendConfig(String host, int port, int weight, io.stc.pool.BackendProtocol protocol, boolean backup) {
      this(host, port, weight, protocol, backup, 0);
    }

    public BackendConfig(String host, int port, int weight) {
      this(host, port, weight, io.stc.pool.BackendProtocol.HTTP1);
    }

    public BackendConfig(String host, int port, int weight, io.stc.pool.BackendProtocol protocol) {
      this(host, port, weight, protocol, false);
    }

    public String id() {
      return io.stc.pool.Backend.idOf(host, port);
    }

    public BackendConfig withWeight(int weight) {
      return new BackendConfig(host, port, weight, protocol, backup, maxInflight);
    }

    public BackendConfig withBackup(boolean backup) {
      return new BackendConfig(host, port, weight, protocol, backup, maxInflight);
    }

    public BackendConfig withMaxInflight(int maxInflight) {
      return new BackendConfig(host, port, weight, protocol, backup, maxInflight);
    }
  }

  /**
   * Active health checking: {@code GET path} every interval (or, with {@code grpc}, gRPC's
   * {@code grpc.health.v1.Health/Check} for {@code service}), in each backend's protocol; rise
   * successes to go UP, fall failures to go DOWN. An HTTP probe passes on a status in
   * {@code expectStatus}; {@code host} (empty: the backend's own) is its Host, and
   * {@code headers} go with it. With {@code tcp}, a probe is a connection opened and closed.
   * {@code port} (0: each backend's own) is where probes go, for services that answer them on a
   * management port of their own.
   */
  @RecordBuilder
  public record Health(
      boolean enabled, String path, Duration interval, Duration timeout, int rise, int fall, boolean grpc, String service,
      StatusRanges expectStatus, String host, Map<String, String> headers, boolean tcp, int port)
      implements StcConfigHealthBuilder.With {
    public Health {
      headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
    }

    public Health(boolean enabled, String path, Duration interval, Duration timeout, int rise, int fall) {
      this(enabled, path, interval, timeout, rise, fall, false, "");
    }

    public Health(boolean enabled, String path, Duration interval, Duration timeout, int rise, int fall, boolean grpc, String service) {
      this(enabled, path, interval, timeout, rise, fall, grpc, service, StatusRanges.DEFAULT, "", Map.of(), false, 0);
    }

    public static Health defaults() {
      return new Health(true, "/health", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);
    }
  }

  /**
   * Time limits: connecting to a backend, waiting for its response head, idle client keep-alive,
   * a client's whole request head once its first byte arrived (against slowloris), the longest
   * gap between a request body's bytes (against slow POSTs), and one attempt on one backend before
   * an idempotent request is retried on another ({@link PerTry}); how long an idle backend
   * connection is kept for reuse ({@code backendIdle}); the longest gap in a response body from the
   * backend ({@code responseBody}), and how long a gRPC call may go with nothing either way
   * ({@code streamIdle}).
   */
  @RecordBuilder
  public record Timeouts(
      Duration connect, Duration response, Duration idle, Duration header, Duration body, Duration send, PerTry perTry,
      Duration backendIdle, Duration responseBody, Duration streamIdle) implements StcConfigTimeoutsBuilder.With {
    public static Timeouts defaults() {
      // Four seconds of backend idleness: below the five that Node, Apache and Uvicorn wait before
      // they close an idle connection (racing whatever request is sent on it), as HAProxy's idle
      // server connections go within its five-second purge.
      return new Timeouts(
          Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(10),
          Duration.ofSeconds(30), Duration.ofSeconds(60), PerTry.AUTO, Duration.ofSeconds(4),
          // A backend silent mid-response for a minute is hung (nginx's proxy_read_timeout); a gRPC
          // call may wait longer on both sides (a watch that has nothing to say), as Envoy's
          // stream idle timeout lets it.
          Duration.ofSeconds(60), Duration.ofMinutes(5));
    }
  }

  /**
   * How long one attempt may wait for a response head before an idempotent request goes to another
   * backend: {@code auto} derives it from each backend's own latency, a duration fixes it, and
   * {@code off} leaves only {@code timeouts.response}.
   */
  public record PerTry(boolean auto, Duration fixed) {
    public static final PerTry AUTO = new PerTry(true, null);
    public static final PerTry OFF = new PerTry(false, null);

    public static PerTry of(Duration d) {
      return new PerTry(false, d);
    }

    public boolean enabled() {
      return auto || fixed != null;
    }

    @Override
    public String toString() {
      return auto ? "auto" : fixed == null ? "off" : fixed.toString();
    }
  }

  /**
   * Limits on what a client may send: header block size in bytes and header count (431),
   * request-line length (414), body size (413; 0 = unlimited), open client connections in all and
   * from one client address (more are answered 503), and how much of a request body is read
   * before a backend is picked (bodies up to this size are buffered whole; 0 = stream at once).
   */
  @RecordBuilder
  public record Limits(int headerSize, int uri, int headers, long body, int connections, int connectionsPerClient, int buffer)
      implements StcConfigLimitsBuilder.With {
    public static Limits defaults() {
      // A header block up to 32 KiB: what nginx lets through (four 8 KiB buffers), so the big
      // cookies of single sign-on that pass nginx pass here (Envoy allows 60 KiB, HAProxy about 15).
      return new Limits(32 * 1024, 8 * 1024, 100, 0, 10_000, 1_000, 64 * 1024);
    }
  }

  /**
   * Session affinity: how a client's session is recognised ({@code name} is the cookie in cookie
   * mode, the header in header mode), how long an idle session stays pinned, and the secret that
   * signs cookies ({@code key} null: generated once and kept in the state directory).
   */
  public record Sticky(
      Mode mode, String name, Duration ttl, int maxSessions, boolean honourDraining, String key) {
    /** How sessions are recognised; OFF balances every request on its own. */
    public enum Mode {
      OFF,
      COOKIE,
      IP,
      HEADER
    }

    public static Sticky defaults() {
      return new Sticky(Mode.OFF, "STC_SID", Duration.ofHours(1), 100_000, false, null);
    }

    public boolean enabled() {
      return mode != Mode.OFF;
    }

    @Override
    public String toString() {
      // The key is a secret: configs get logged and shown.
      return "Sticky[mode=" + mode + ", name=" + name + ", ttl=" + ttl + ", maxSessions=" + maxSessions
          + ", honourDraining=" + honourDraining + ", key=" + (key == null ? "generated" : "(set)") + "]";
    }
  }

  /**
   * The admin listener (API, metrics); {@code token} is null when none is set. Without a token it
   * must stay on a loopback address.
   */
  @RecordBuilder
  public record Admin(boolean enabled, String host, int port, String token, List<String> corsOrigins)
      implements StcConfigAdminBuilder.With {
    public static Admin defaults() {
      return new Admin(true, "127.0.0.1", 9090, null, List.of());
    }

    @Override
    public String toString() {
      // The token is a secret: configs get logged and shown.
      return "Admin[enabled=" + enabled + ", host=" + host + ", port=" + port
          + ", token=" + (token == null ? "none" : "(set)") + ", corsOrigins=" + corsOrigins + "]";
    }
  }

  /**
   * Per-client rate limit: a token bucket per client key (the client's IP, or the value of
   * {@code header}) refilled at {@code rps} tokens a second up to {@code burst}; the table keeps at
   * most {@code maxClients} buckets. {@link Per#OFF} limits nothing.
   */
  public record RateLimit(Per per, String header, double rps, int burst, int maxClients) {
    /** What identifies a client. */
    public enum Per {
      OFF,
      IP,
      HEADER
    }

    public static RateLimit defaults() {
      return new RateLimit(Per.OFF, "X-Api-Key", 100, 200, 100_000);
    }

    public boolean enabled() {
      return per != Per.OFF;
    }
  }

  /**
   * Who the client is when stc runs behind other proxies (a CDN, a cloud load balancer): the peer
   * (or a PROXY header's source), unless that is one of {@code trustedProxies}; then the rightmost
   * address in {@code header} that is not trusted, as nginx's realip module finds it.
   */
  public record ClientIp(List<AddressRange> trustedProxies, String header) {
    public ClientIp {
      trustedProxies = List.copyOf(trustedProxies);
    }

    public static ClientIp defaults() {
      return new ClientIp(List.of(), "X-Forwarded-For");
    }
  }

  /**
   * Shadow traffic: a copy of a {@code percent} share of the admitted requests goes to another
   * service over HTTP/1.1, whose answers are read and dropped, as nginx's {@code mirror}, Envoy's
   * request mirroring and Traefik's mirroring service do; at most {@code maxInflight} copies are in
   * flight, and a request past that is not copied (never queued). Off while {@code host} is empty.
   */
  public record Mirror(String host, int port, double percent, int maxInflight) {
    public static Mirror defaults() {
      return new Mirror("", 0, 100, 100);
    }

    public boolean enabled() {
      return !host.isEmpty();
    }
  }

  /**
   * OpenTelemetry tracing: every request carries a W3C {@code traceparent} to its backend, and a
   * {@code sample} share of new traces (all that a sampled caller's {@code traceparent} asks for) is
   * recorded as spans sent in batches by OTLP/HTTP to {@code endpoint}, with {@code headers}, as
   * {@code serviceName}. Whose traces are joined is {@code incoming}'s to say, as for request IDs
   * (a caller outside {@code client_ip.trusted_proxies} could otherwise have every request recorded).
   * Off while {@code endpoint} is empty.
   */
  public record Tracing(
      String endpoint, double sample, String serviceName, Map<String, String> headers, RequestId.Incoming incoming,
      List<Propagation> propagation) {
    public static final Tracing OFF = new Tracing("", 0, "stc", Map.of(), RequestId.Incoming.KEEP, List.of(Propagation.TRACECONTEXT));

    /** How a trace's context travels in headers, by OpenTelemetry's names for {@code OTEL_PROPAGATORS}. */
    public enum Propagation {
      /** W3C Trace Context: {@code traceparent} (and {@code tracestate}, which goes through). */
      TRACECONTEXT,
      /** Zipkin's B3 in one header, {@code b3}. */
      B3,
      /** Zipkin's B3 as {@code X-B3-TraceId}, {@code X-B3-SpanId}, {@code X-B3-ParentSpanId}, {@code X-B3-Sampled}. */
      B3MULTI
    }

    public Tracing {
      headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
      propagation = List.copyOf(propagation);
    }

    /** A tracing section as stc's defaults have it, sending to {@code endpoint}. */
    public static Tracing to(String endpoint, double sample) {
      return new Tracing(endpoint, sample, "stc", Map.of(), RequestId.Incoming.KEEP, List.of(Propagation.TRACECONTEXT));
    }

    public boolean enabled() {
      return !endpoint.isEmpty();
    }
  }

  /**
   * Response bodies stc gzip-encodes for clients that accept it: of one of {@code types}
   * ({@code text/*} takes a whole family), at least {@code minLength} bytes, at zlib's {@code level}.
   */
  public record Compression(boolean enabled, List<String> types, long minLength, int level) {
    public Compression {
      types = List.copyOf(types);
    }

    /** Text formats that compress well, as nginx and Envoy users list them; not event streams, images or archives. */
    public static final List<String> DEFAULT_TYPES = List.of(
        "text/html", "text/plain", "text/css", "text/javascript", "text/xml", "text/csv", "text/markdown",
        "application/javascript", "application/json", "application/xml", "application/xhtml+xml", "application/rss+xml",
        "application/atom+xml", "application/ld+json", "application/manifest+json", "application/problem+json",
        "application/graphql-response+json", "application/wasm", "image/svg+xml");

    public static Compression defaults() {
      return new Compression(false, DEFAULT_TYPES, 1024, 5);
    }
  }

  /**
   * Fields stc sets on each request to a backend and each response to a client (replacing any of
   * that name), and fields it removes; names in the case given, sets in file order.
   */
  public record HeaderEdits(
      Map<String, String> requestSet, List<String> requestRemove, Map<String, String> responseSet, List<String> responseRemove) {
    public HeaderEdits {
      requestSet = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(requestSet));
      requestRemove = List.copyOf(requestRemove);
      responseSet = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(responseSet));
      responseRemove = List.copyOf(responseRemove);
    }

    public static HeaderEdits defaults() {
      return new HeaderEdits(Map.of(), List.of(), Map.of(), List.of());
    }
  }

  /**
   * Which clients may send requests, by address (the client {@link ClientIp} finds): none in
   * {@code deny}, and, when {@code allow} lists any, only those in it.
   */
  public record Access(List<AddressRange> allow, List<AddressRange> deny) {
    public Access {
      allow = List.copyOf(allow);
      deny = List.copyOf(deny);
    }

    public static Access defaults() {
      return new Access(List.of(), List.of());
    }

    public boolean enabled() {
      return !allow.isEmpty() || !deny.isEmpty();
    }
  }

  /**
   * The ID each request carries to its backend, back to its client and into the access log, in
   * {@code header} (null when off): a client's own kept ({@code incoming}) when it is well formed,
   * else a new one.
   */
  public record RequestId(String header, Incoming incoming, boolean response) {
    /** Whose request IDs are kept rather than replaced by a new one. */
    public enum Incoming {
      /** Any client's. */
      KEEP,
      /** Only those that come from {@code client_ip.trusted_proxies}. */
      TRUSTED,
      /** Nobody's: every request gets a new ID. */
      REPLACE
    }

    public static RequestId defaults() {
      return new RequestId("X-Request-Id", Incoming.KEEP, true);
    }

    public boolean enabled() {
      return header != null;
    }
  }

  /** Where and how each finished request is logged; {@code path} is null when logging is off, "stdout" for standard output. */
  public record AccessLog(String path, String format) {
    public static AccessLog defaults() {
      return new AccessLog(null, "combined");
    }

    public boolean enabled() {
      return path != null;
    }
  }

  /**
   * The algorithm of a pool the autoscaler sizes, when none is configured: least outstanding
   * requests (as AWS ALB's option for this case, Envoy's least_request and Knative's activator do).
   * Instances of one service differ in speed (hosts, neighbours, warm-up); round robin gives each
   * the same share, so the slow ones run deepest and set the p99, while balancing by what is in
   * flight keeps every instance near the concurrency the policy sized the pool for.
   */
  public static final String AUTOSCALED_ALGORITHM = "least_connections";

  public static StcConfig defaults() {
    return new StcConfig(
        "0.0.0.0",
        8080,
        0,
        "round_robin",
        List.of(),
        Health.defaults(),
        Timeouts.defaults(),
        2,
        "X-Served-By",
        Duration.ofSeconds(30),
        Limits.defaults(),
        "client_ip",
        Duration.ZERO,
        CircuitBreakerConfig.defaults(),
        ".stc-state",
        Sticky.defaults(),
        Capacity.defaults(),
        Admin.defaults(),
        AccessLog.defaults(),
        Duration.ofSeconds(30),
        AutoscaleConfig.defaults(),
        TlsConfig.defaults(),
        RateLimit.defaults(),
        "auto",
        true,
        20,
        false,
        ClientIp.defaults(),
        RequestId.defaults(),
        Access.defaults(),
        HeaderEdits.defaults(),
        Compression.defaults(),
        ErrorPages.NONE,
        StatusRanges.NONE,
        Mirror.defaults(),
        Tracing.OFF);
  }

  /** The number of event loops to run: the configured value, or one per core. */
  public int effectiveIoThreads() {
    return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
  }
}
