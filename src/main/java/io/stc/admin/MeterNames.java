package io.stc.admin;

/**
 * Every metric stc exports, named in one place so the dashboard in {@code deploy/} and the code
 * agree. Micrometer names (dots); the Prometheus exposition turns dots into underscores and adds
 * {@code _total} to counters and the base unit to timers.
 */
public final class MeterNames {
  private MeterNames() {}

  /** Counter by backend and status_class (1xx..5xx, or "none" when the client got no response); Prometheus: stc_requests_total. */
  public static final String REQUESTS = "stc.requests";
  /** Histogram by backend, in seconds; Prometheus: stc_request_duration_seconds (exported directly, see {@link RequestDurationCollector}). */
  public static final String REQUEST_DURATION_PROMETHEUS = "stc_request_duration_seconds";
  /** Gauge by backend: 1 when UP. */
  public static final String BACKEND_UP = "stc.backend.up";
  /** Gauge by backend: requests in flight. */
  public static final String BACKEND_IN_FLIGHT = "stc.backend.in.flight";
  /** Gauge by backend: configured weight. */
  public static final String BACKEND_WEIGHT = "stc.backend.weight";
  /** Gauge by backend and state: 1 for the backend's current state, 0 for the others. */
  public static final String BACKEND_STATE = "stc.backend.state";
  /** Gauge by backend: 1 when the last health check passed, 0 when it failed (absent before the first). */
  public static final String HEALTH_CHECK_OK = "stc.backend.health.check.ok";
  /** Gauge by backend: 1 while its circuit breaker is open. */
  public static final String BACKEND_CIRCUIT_OPEN = "stc.backend.circuit.open";
  /** Gauge: backends in the pool. */
  public static final String POOL_SIZE = "stc.pool.size";
  /** Gauge: backends taking new requests. */
  public static final String POOL_AVAILABLE = "stc.pool.available";
  /** Counter by reason (the ProxyFailure labels). */
  public static final String PROXY_FAILURES = "stc.proxy.failures";
  /** Counter by code (grpc-status names): gRPC calls by how they ended. */
  public static final String GRPC_CALLS = "stc.grpc.calls";
  /** Counter by outcome (1xx-5xx answered, failed, busy, too_large): copies of requests to the mirror. */
  public static final String MIRROR_REQUESTS = "stc.mirror.requests";
  /** Counter by outcome (exported, dropped, failed): spans sent to tracing.endpoint. */
  public static final String TRACE_SPANS = "stc.trace.spans";
  public static final String TAG_OUTCOME = "outcome";
  /** Counter: retried attempts. */
  public static final String PROXY_RETRIES = "stc.proxy.retries";
  public static final String PROXY_RETRIES_DENIED = "stc.proxy.retries.denied";
  /** Counter: exchanges the client abandoned. */
  public static final String CLIENT_ABORTS = "stc.client.aborts";
  /** Gauge: requests in progress. */
  public static final String ACTIVE_REQUESTS = "stc.requests.active";
  /** Gauge: open client connections. */
  public static final String CLIENT_CONNECTIONS = "stc.client.connections";
  /** Gauge: bytes of HTTP/2 receive window streams hold beyond the protocol's 64 KiB (grown for far peers). */
  public static final String HTTP2_WINDOW_HELD = "stc.http2.window.held.bytes";
  /** Counter: access log records dropped because the writer fell behind. */
  public static final String ACCESS_LOG_DROPPED = "stc.access.log.dropped";
  /** Gauge with an algorithm tag: 1 for the algorithm in use. */
  public static final String ALGORITHM = "stc.algorithm";

  public static final String TAG_BACKEND = "backend";
  public static final String TAG_STATUS_CLASS = "status_class";
  public static final String TAG_STATE = "state";
  public static final String TAG_REASON = "reason";
  public static final String TAG_CODE = "code";
  public static final String TAG_ALGORITHM = "algorithm";
}
