package io.stc.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.stc.pool.Backend;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One request's place in a distributed trace, with {@code tracing} on: the caller's trace (its
 * {@code traceparent}, or B3 headers, see {@link TraceHeaders}) joined or a new one begun, a server span for the request as stc saw it and a
 * client span for each attempt on a backend, whose ID the backend gets as its parent. Recorded only
 * when sampled: as the caller's flag says (parent-based, OpenTelemetry's default), else by the
 * trace ID against {@code tracing.sample}. An exchange reuses one for each of its requests.
 */
final class RequestTrace {
  /** Kept on a span's attributes; the names OpenTelemetry's HTTP conventions give. */
  private static final String[] SERVER_KEYS = {
    "http.request.method", "url.scheme", "url.path", "server.address", "server.port", "client.address",
    "user_agent.original", "network.protocol.version", "http.response.status_code", "error.type",
    "stc.request_id", "stc.backend", "stc.attempts", "stc.queue_wait_ms",
    "rpc.system", "rpc.service", "rpc.method", "rpc.grpc.status_code",
  };
  /** gRPC codes that are the server's failure, as OpenTelemetry's gRPC conventions list them for server spans. */
  private static final java.util.Set<Integer> GRPC_SERVER_ERRORS = java.util.Set.of(2, 4, 12, 13, 14, 15);
  private static final String[] CLIENT_KEYS = {
    "http.request.method", "server.address", "server.port", "network.protocol.version",
    "http.response.status_code", "error.type", "http.request.resend_count", "stc.backend",
  };

  /** The longest tracestate kept on a span (W3C Trace Context's 512 characters). */
  static final int MAX_TRACE_STATE = 512;
  /** The longest attribute value kept whole: a client's User-Agent or path may be 32 KiB, and 8,192 queued spans of it a lot of memory. */
  static final int MAX_VALUE = 1024;

  /** Whether tracing is on for the current request: a traceparent goes to its backend. */
  private boolean on;
  private boolean recording;
  private long traceHi;
  private long traceLo;
  private long callerSpanId;
  private long serverSpanId;
  private int flags;
  private String traceState;
  private long startNanos;
  private long epochStartNanos;
  private long queuedNanos;
  private long queueWaitNanos;
  /** The current attempt's traceparent for its backend. */
  private AsciiString forwarded;
  /** The current attempt's span as its backend is told it (the server span's, when not recorded). */
  private long forwardedSpan;
  /** The formats read from callers and written to backends. */
  private TraceHeaders headers = TraceHeaders.W3C;
  /** The caller named the trace in B3's 64 bits. */
  private boolean shortId;

  private int attemptCount;
  private long[] attemptSpan = new long[4];
  private long[] attemptStart = new long[4];
  private long[] attemptEnd = new long[4];
  private int[] attemptStatus = new int[4];
  private ProxyFailure[] attemptFailure = new ProxyFailure[4];
  private Backend[] attemptBackend = new Backend[4];

  /**
   * A request with these headers began: off when {@code sampleThreshold} is negative (no tracing),
   * else in the caller's trace when it sent one traceparent that is valid, else in a new one.
   *
   * @param sampleThreshold a new trace is recorded when its ID's last 56 bits are below this
   * @param joinCaller whether the caller's trace may be joined ({@code tracing.incoming})
   * @param formats the formats a caller's context is read from and a backend's written in
   */
  void start(long sampleThreshold, boolean joinCaller, TraceHeaders formats, HttpHeaders h, long nowNanos) {
    on = sampleThreshold >= 0;
    forwarded = null;
    attemptCount = 0;
    if (!on) {
      recording = false;
      return;
    }
    headers = formats;
    TraceParent caller = joinCaller ? formats.extract(h) : null;
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (caller != null) {
      traceHi = caller.traceHi();
      traceLo = caller.traceLo();
      shortId = traceHi == 0;
      callerSpanId = caller.parentId();
      // A B3 caller may leave the decision to stc: then it is made as for a new trace.
      recording = (caller.flags() & TraceHeaders.DEFERRED) != 0
          ? (traceLo & 0x00FF_FFFF_FFFF_FFFFL) < sampleThreshold : caller.sampled();
      flags = recording ? TraceParent.SAMPLED : 0;
      // tracestate belongs to the caller's trace; without one it means nothing (and is not sent on).
      traceState = recording ? joined(h.getAll(TraceParent.STATE_HEADER)) : null;
      if (traceState != null && traceState.length() > MAX_TRACE_STATE) {
        // The recommendation's bound: a longer one may be cut, and in a span it would only swell the exports.
        traceState = null;
      }
    } else {
      do {
        traceHi = random.nextLong();
        traceLo = random.nextLong();
      } while (traceHi == 0 && traceLo == 0);
      callerSpanId = 0;
      shortId = false;
      recording = (traceLo & 0x00FF_FFFF_FFFF_FFFFL) < sampleThreshold;
      flags = recording ? TraceParent.SAMPLED : 0;
      traceState = null;
    }
    serverSpanId = nonZero(random);
    startNanos = nowNanos;
    queuedNanos = 0;
    queueWaitNanos = -1;
    if (recording) {
      Instant now = Instant.now();
      epochStartNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
  }

  /** No trace for the current request (one that could not be parsed). */
  void off() {
    on = false;
    recording = false;
    forwarded = null;
    attemptCount = 0;
  }

  /** Whether the backend gets a traceparent of stc's (the client's own is then not sent on). */
  boolean on() {
    return on;
  }

  /** The traceparent the current attempt's backend gets, or null when tracing is off (or no attempt began). */
  AsciiString forwarded() {
    return forwarded;
  }

  /** Whether a client's field of this name is one stc writes itself for the backend (an attempt began: {@link #forwarded()}). */
  boolean replaces(CharSequence name) {
    return headers.replaces(name);
  }

  /** Gives the current attempt's backend the trace's fields in each configured format (an attempt began). */
  void writeHeaders(ForwardedFields.Sink sink) {
    headers.write(forwarded, traceHi, traceLo, shortId, forwardedSpan, forwardedSpan == serverSpanId ? callerSpanId : serverSpanId,
        (flags & TraceParent.SAMPLED) != 0, sink);
  }

  /** The trace's ID in hex, for the access log, or null when tracing is off. */
  String traceId() {
    return on ? TraceParent.traceId(traceHi, traceLo) : null;
  }

  /** The request waits in the queue from now. */
  void queued(long nowNanos) {
    if (on && queuedNanos == 0) {
      queuedNanos = nowNanos;
    }
  }

  /** An attempt on {@code b} begins: a span of its own, which the backend's work hangs under. */
  void attemptBegan(Backend b, long nowNanos) {
    if (!on) {
      return;
    }
    endQueueWait(nowNanos);
    long span = nonZero(ThreadLocalRandom.current());
    forwardedSpan = recording ? span : serverSpanId;
    forwarded = TraceParent.format(traceHi, traceLo, forwardedSpan, flags);
    if (!recording) {
      return;
    }
    if (attemptCount == attemptSpan.length) {
      int n = attemptCount * 2;
      attemptSpan = Arrays.copyOf(attemptSpan, n);
      attemptStart = Arrays.copyOf(attemptStart, n);
      attemptEnd = Arrays.copyOf(attemptEnd, n);
      attemptStatus = Arrays.copyOf(attemptStatus, n);
      attemptFailure = Arrays.copyOf(attemptFailure, n);
      attemptBackend = Arrays.copyOf(attemptBackend, n);
    }
    int i = attemptCount++;
    attemptSpan[i] = span;
    attemptStart[i] = nowNanos;
    attemptEnd[i] = 0;
    attemptStatus[i] = 0;
    attemptFailure[i] = null;
    attemptBackend[i] = b;
  }

  /** The current attempt's backend answered with this status. */
  void attemptAnswered(int status) {
    if (recording && attemptCount > 0) {
      attemptStatus[attemptCount - 1] = status;
    }
  }

  /** The current attempt failed so. */
  void attemptFailed(ProxyFailure failure) {
    if (recording && attemptCount > 0 && attemptFailure[attemptCount - 1] == null) {
      attemptFailure[attemptCount - 1] = failure;
    }
  }

  /** The current attempt is over (its response ended, or it failed). */
  void attemptEnded(long nowNanos) {
    if (recording && attemptCount > 0 && attemptEnd[attemptCount - 1] == 0) {
      attemptEnd[attemptCount - 1] = nowNanos;
    }
  }

  private void endQueueWait(long nowNanos) {
    if (queuedNanos != 0 && queueWaitNanos < 0) {
      queueWaitNanos = nowNanos - queuedNanos;
    }
  }

  /**
   * The exchange ended: when recorded, its spans go to {@code exporter}.
   *
   * @param e the exchange, as its listener sees it
   * @param scheme the scheme the client used
   */
  void ended(EndedExchange e, String scheme, long nowNanos, TraceExporter exporter) {
    if (!recording) {
      return;
    }
    recording = false;
    String method = capped(e.method());
    String path = path(e.uri());
    endQueueWait(nowNanos);
    int status = e.status();
    ProxyFailure failure = e.failure();
    String host = e.requestHeader(HttpHeaderNames.HOST);
    String serverAddress = null;
    Long serverPort = null;
    if (host != null && !host.isEmpty()) {
      int colon = host.lastIndexOf(':');
      boolean hasPort = colon > 0 && host.indexOf(']', colon) < 0 && (host.charAt(0) != '[' || host.charAt(colon - 1) == ']');
      serverAddress = hasPort ? host.substring(0, colon) : host;
      if (hasPort) {
        try {
          serverPort = Long.parseLong(host.substring(colon + 1));
        } catch (NumberFormatException ignored) {
          serverPort = null;
        }
      }
    }
    String errorType = failure != null ? failure.label() : status >= 500 ? Integer.toString(status) : status == 0 ? "client_closed" : null;
    String version = e.protocol();
    Backend last = e.backend();
    // A gRPC call is named as OpenTelemetry's gRPC conventions name it: package.Service/Method.
    boolean call = e.grpc();
    int slash = call ? path.lastIndexOf('/') : -1;
    String rpcService = slash > 1 ? capped(path.substring(1, slash)) : null;
    String rpcMethod = slash > 1 ? capped(path.substring(slash + 1)) : null;
    int grpcStatus = e.grpcStatus();
    boolean failed = serverFailed(status, failure) || GRPC_SERVER_ERRORS.contains(grpcStatus);
    if (grpcStatus > 0 && errorType == null) {
      errorType = Integer.toString(grpcStatus);
    }
    exporter.offer(new FinishedSpan(traceHi, traceLo, serverSpanId, callerSpanId, traceState,
        rpcService != null ? rpcService + "/" + rpcMethod : method, FinishedSpan.SERVER,
        flags | (callerSpanId != 0 ? FinishedSpan.HAS_IS_REMOTE | FinishedSpan.IS_REMOTE : FinishedSpan.HAS_IS_REMOTE),
        epochStartNanos, epoch(nowNanos), SERVER_KEYS,
        new Object[] {
          method, scheme, capped(path), capped(serverAddress), serverPort, e.clientIp(), capped(e.requestHeader(HttpHeaderNames.USER_AGENT)),
          version.startsWith("HTTP/") ? (version.equals("HTTP/2.0") ? "2" : version.substring(5)) : version,
          status > 0 ? (Long) (long) status : null, errorType, capped(e.requestId()), last == null ? null : last.id(),
          attemptCount > 0 ? (Long) (long) e.attempts() : null,
          queueWaitNanos >= 0 ? (Double) (queueWaitNanos / 1e6) : null,
          call ? "grpc" : null, rpcService, rpcMethod, grpcStatus >= 0 ? (Long) (long) grpcStatus : null,
        },
        failed ? (failure != null ? failure.message() : status == 0 ? "the client left before the response ended" : "") : null));
    for (int i = 0; i < attemptCount; i++) {
      Backend b = attemptBackend[i];
      int s = attemptStatus[i];
      ProxyFailure f = attemptFailure[i];
      // No answer and no failure: the attempt was given up (the client left, or it went again as HTTP/2).
      String attemptError = f != null ? f.label() : s >= 400 ? Integer.toString(s) : s == 0 ? "abandoned" : null;
      long end = attemptEnd[i] != 0 ? attemptEnd[i] : nowNanos;
      exporter.offer(new FinishedSpan(traceHi, traceLo, attemptSpan[i], serverSpanId, traceState, method, FinishedSpan.CLIENT,
          flags | FinishedSpan.HAS_IS_REMOTE, epoch(attemptStart[i]), epoch(end), CLIENT_KEYS,
          new Object[] {
            method, b.unixPath() != null ? b.unixPath() : b.host(), b.unixPath() != null ? null : (Long) (long) b.port(),
            b.speaksHttp2() ? "2" : "1.1", s > 0 ? (Long) (long) s : null, attemptError, i > 0 ? (Long) (long) i : null, b.id(),
          },
          attemptError == null ? null : f != null ? f.message() : ""));
    }
  }

  /** The path of a request target: origin form less its query; absolute form less its scheme and authority too. */
  static String path(String target) {
    String t = target;
    if (!t.startsWith("/")) {
      int scheme = t.indexOf("://");
      if (scheme < 0) {
        return t; // asterisk or authority form
      }
      int slash = t.indexOf('/', scheme + 3);
      t = slash < 0 ? "/" : t.substring(slash);
    }
    int q = t.indexOf('?');
    return q < 0 ? t : t.substring(0, q);
  }

  /**
   * Whether the server span failed, as OpenTelemetry's HTTP conventions say: a 5xx, or no response
   * at all; an answer to the client's own fault (4xx, stc's too: 400, 408, 429) is not the server's,
   * and only names its {@code error.type}.
   */
  private static boolean serverFailed(int status, ProxyFailure failure) {
    return status >= 500 || status == 0 || (failure != null && !failure.isClientError());
  }

  private long epoch(long nanos) {
    return epochStartNanos + (nanos - startNanos);
  }

  private static long nonZero(ThreadLocalRandom random) {
    long v;
    do {
      v = random.nextLong();
    } while (v == 0);
    return v;
  }

  private static String capped(String v) {
    return v == null || v.length() <= MAX_VALUE ? v : v.substring(0, MAX_VALUE);
  }

  private static String joined(List<String> values) {
    if (values.isEmpty()) {
      return null;
    }
    return values.size() == 1 ? values.get(0) : String.join(",", values);
  }
}
