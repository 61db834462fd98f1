package io.stc.proxy;

import io.stc.config.ErrorPages;
import io.stc.config.StcConfig;
import io.stc.pool.Backend;

/**
 * What the data plane's configuration says, worked out once when the proxy is built: read on every
 * request, never changed (a reload that changes them builds a new proxy).
 *
 * @param retries other backends an exchange may try after a failed attempt
 * @param retryOnStatus backend answers a request that may go again is retried elsewhere on
 * @param maxInflight per-backend in-flight limit; 0 = none
 * @param queueWhenEmpty a request that finds no backend at all waits in the queue (autoscaling)
 * @param sendTimeoutNanos how long a response may wait on a client that takes none of it
 * @param responseBodyTimeoutNanos the longest gap in a response body from the backend
 * @param streamIdleNanos the longest a gRPC call may go with nothing either way
 * @param bufferLimit request bodies up to this many bytes are read whole before a backend is picked
 * @param count5xx a 5xx answer counts against the backend's breaker
 * @param trustedProxies the proxies in front of stc that may name the client
 * @param forwardClientCert clients authenticate with certificates (tls.client_auth): backends are told which
 * @param requestIds how each request gets its ID
 * @param rewriter what stc adds to each response's head
 * @param validator the request limits checked on the data plane (an HTTP/2 head, the body's size)
 * @param access which clients may send requests
 * @param edits the fields {@code headers} sets and removes, or null for none
 * @param compression which responses go gzip-encoded, or null when none do
 * @param errorPages the bodies stc's own answers carry in place of the JSON one, by status
 * @param mirror where copies of requests go, or null when none do
 * @param traceSampleThreshold tracing: a new trace is recorded when the last 56 bits of its ID are
 *     below this (2^56 records all); -1 when tracing is off
 * @param traceIncoming whose traceparent is joined
 * @param traceHeaders the trace context formats read and written
 */
record ProxySettings(
    int retries,
    io.stc.config.StatusRanges retryOnStatus,
    int maxInflight,
    boolean queueWhenEmpty,
    long queueTimeoutNanos,
    long responseTimeoutNanos,
    long bodyTimeoutNanos,
    long sendTimeoutNanos,
    long responseBodyTimeoutNanos,
    long streamIdleNanos,
    int bufferLimit,
    StcConfig.PerTry perTry,
    boolean count5xx,
    boolean h2c,
    TrustedProxies trustedProxies,
    boolean forwardClientCert,
    RequestIds requestIds,
    HeaderRewriter rewriter,
    RequestValidator validator,
    ClientAccess access,
    FieldEdits edits,
    ResponseCompression compression,
    ErrorPages errorPages,
    MirrorTarget mirror,
    long traceSampleThreshold,
    StcConfig.RequestId.Incoming traceIncoming,
    TraceHeaders traceHeaders) {

  /** The least an automatic per-try timeout waits: below it, scheduling noise looks like a hang. */
  static final long PER_TRY_FLOOR_NANOS = 250_000_000L;
  static final long PER_TRY_FACTOR = 4;

  /** @param tlsListener the listener speaks TLS (HSTS is said only there) */
  static ProxySettings of(StcConfig config, boolean count5xx, boolean tlsListener) {
    int maxInflight = config.capacity().maxInflight();
    // One set of edits: the request writers and the response rewriter read the same.
    FieldEdits edits = FieldEdits.of(config.headers());
    return new ProxySettings(
        config.retries(),
        config.retryOnStatus(),
        maxInflight,
        maxInflight > 0 && config.autoscale().enabled(),
        config.capacity().queueTimeout().toNanos(),
        config.timeouts().response().toNanos(),
        config.timeouts().body().toNanos(),
        config.timeouts().send().toNanos(),
        config.timeouts().responseBody().toNanos(),
        config.timeouts().streamIdle().toNanos(),
        config.limits().buffer(),
        config.timeouts().perTry(),
        count5xx,
        config.h2c(),
        new TrustedProxies(config.clientIp()),
        config.tls().enabled() && config.tls().clientAuth() != io.stc.config.TlsConfig.ClientAuth.NONE,
        new RequestIds(config.requestId()),
        new HeaderRewriter(
            config.servedByHeader(), tlsListener ? config.tls().hsts() : null,
            config.requestId().enabled() && config.requestId().response() ? config.requestId().header() : null,
            edits),
        new RequestValidator(config.limits().headers(), config.limits().body()),
        new ClientAccess(config.access()),
        edits,
        ResponseCompression.of(config.compression()),
        config.errorPages(),
        MirrorTarget.of(config),
        traceSampleThreshold(config.tracing()),
        config.tracing().incoming(),
        new TraceHeaders(config.tracing().propagation()));
  }

  static long traceSampleThreshold(StcConfig.Tracing tracing) {
    if (!tracing.enabled()) {
      return -1;
    }
    // OpenTelemetry's threshold rule: the trace ID's last 56 bits are random (W3C Trace Context 2).
    return (long) Math.min(0x1p56, Math.ceil(tracing.sample() * 0x1p56));
  }

  /** Whether a request from this peer may join its caller's trace ({@code tracing.incoming}). */
  boolean joinsCallerTrace(boolean trustedPeer) {
    return traceIncoming == StcConfig.RequestId.Incoming.KEEP
        || (traceIncoming == StcConfig.RequestId.Incoming.TRUSTED && trustedPeer);
  }

  /** The most requests {@code b} may have in flight: its own limit, else {@code max_inflight}; 0 for none. */
  int inflightLimit(Backend b) {
    int own = b.maxInflight();
    return own > 0 ? own : maxInflight;
  }

  /**
   * How long one attempt on {@code b} may wait for a response head before it counts as hung: a
   * fixed value, or four times the backend's recent p99 between 250 ms and the response timeout;
   * 0 when there is none (off, or too few recent responses to know the backend's latency).
   */
  long perTryNanos(Backend b, long nowNanos) {
    if (!perTry.auto()) {
      return perTry.fixed() == null ? 0 : perTry.fixed().toNanos();
    }
    long p99 = b.stats().recentLatency().p99Nanos(nowNanos);
    if (p99 < 0) {
      return 0;
    }
    return Math.min(responseTimeoutNanos, Math.max(PER_TRY_FLOOR_NANOS, PER_TRY_FACTOR * p99));
  }
}
