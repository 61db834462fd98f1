package io.stc.proxy;

import java.util.concurrent.atomic.LongAdder;

/** Totals of the data plane since start (or the last reset): requests, responses by class, failures by kind. */
public final class ProxyStats {
  private final LongAdder requests = new LongAdder();
  private final LongAdder[] byClass = new LongAdder[6];
  private final LongAdder[] failures = new LongAdder[ProxyFailure.values().length];
  private final LongAdder retries = new LongAdder();
  private final LongAdder retriesDenied = new LongAdder();
  private final LongAdder clientAborts = new LongAdder();
  private final LongAdder active = new LongAdder();
  private final LongAdder connections = new LongAdder();
  private final LongAdder refusedConnections = new LongAdder();
  private final LongAdder queued = new LongAdder();
  private final LongAdder queueWaitNanos = new LongAdder();
  private final LongAdder[] grpc = new LongAdder[GrpcStatus.COUNT];
  private final LongAdder http2WindowHeld = new LongAdder();
  /** Copies to the mirror by outcome: answered by status class (1..5), failed, busy, too large. */
  private final LongAdder[] mirror = new LongAdder[MIRROR_LABELS.length];
  /** Spans by outcome: exported, dropped (the export queue full), failed (the collector refused or was not there). */
  private final LongAdder[] spans = {new LongAdder(), new LongAdder(), new LongAdder()};

  /** Span outcomes of {@link #spans(int)}. */
  public static final int SPANS_EXPORTED = 0;
  public static final int SPANS_DROPPED = 1;
  public static final int SPANS_FAILED = 2;
  private static final String[] SPAN_LABELS = {"exported", "dropped", "failed"};

  /** A copy failed: no connection, closed or reset, a malformed answer, or none within the response timeout. */
  public static final int MIRROR_FAILED = 6;
  /** No copy: {@code mirror.max_inflight} copies were out. */
  public static final int MIRROR_BUSY = 7;
  /** No copy: the body was longer than stc keeps (64 KiB, or {@code limits.buffer} when larger). */
  public static final int MIRROR_TOO_LARGE = 8;

  public ProxyStats() {
    for (int i = 0; i < byClass.length; i++) {
      byClass[i] = new LongAdder();
    }
    for (int i = 0; i < failures.length; i++) {
      failures[i] = new LongAdder();
    }
    for (int i = 0; i < mirror.length; i++) {
      mirror[i] = new LongAdder();
    }
    for (int i = 0; i < grpc.length; i++) {
      grpc[i] = new LongAdder();
    }
  }

  void grpcStatus(int code) {
    grpc[code >= 0 && code < GrpcStatus.COUNT ? code : GrpcStatus.UNKNOWN].increment();
  }

  /** gRPC calls that ended with this grpc-status (0..16), from a backend or from stc itself. */
  public long grpcCalls(int code) {
    return grpc[code].sum();
  }

  /** The label of each outcome of {@link #mirrored(int)} (index 0 is none). */
  private static final String[] MIRROR_LABELS = {null, "1xx", "2xx", "3xx", "4xx", "5xx", "failed", "busy", "too_large"};

  /** The number of copy outcomes: 1 to this, less one. */
  public static final int MIRROR_OUTCOMES = MIRROR_LABELS.length;

  /** How an outcome of {@link #mirrored(int)} is named in metrics and stats. */
  public static String mirrorLabel(int outcome) {
    return MIRROR_LABELS[outcome];
  }

  void mirror(int outcome) {
    mirror[outcome].increment();
  }

  /** Copies to the mirror with this outcome: a status class 1..5 (answered), or {@link #MIRROR_FAILED}, {@link #MIRROR_BUSY}, {@link #MIRROR_TOO_LARGE}. */
  public long mirrored(int outcome) {
    return mirror[outcome].sum();
  }

  /** How an outcome of {@link #spans(int)} is named in metrics. */
  public static String spanLabel(int outcome) {
    return SPAN_LABELS[outcome];
  }

  void spans(int outcome, long n) {
    spans[outcome].add(n);
  }

  /** Spans with this outcome: {@link #SPANS_EXPORTED}, {@link #SPANS_DROPPED} or {@link #SPANS_FAILED}. */
  public long spans(int outcome) {
    return spans[outcome].sum();
  }

  void requestStarted() {
    requests.increment();
    active.increment();
  }

  void requestEnded(int status) {
    active.decrement();
    if (status > 0) {
      byClass[Math.min(status / 100, 5)].increment();
    }
  }

  void failure(ProxyFailure f) {
    failures[f.ordinal()].increment();
  }

  void retry() {
    retries.increment();
  }

  /** A retry the retry budget did not allow: the failure was answered instead. */
  void retryDenied() {
    retriesDenied.increment();
  }

  void dequeued(long waitedNanos) {
    queued.increment();
    queueWaitNanos.add(waitedNanos);
  }

  /** Requests that waited in the queue and then got a backend. */
  public long queued() {
    return queued.sum();
  }

  /** Total time those requests waited, in nanoseconds. */
  public long queueWaitNanos() {
    return queueWaitNanos.sum();
  }

  void clientAborted() {
    clientAborts.increment();
  }

  void connectionOpened() {
    connections.increment();
  }

  void connectionRefused() {
    refusedConnections.increment();
  }

  /** Connections refused because {@code limits.connections} were open. */
  public long refusedConnections() {
    return refusedConnections.sum();
  }

  void connectionClosed() {
    connections.decrement();
  }

  public long requests() {
    return requests.sum();
  }

  /** Responses whose status is in the class {@code n}xx (1..5). */
  public long responses(int statusClass) {
    return byClass[statusClass].sum();
  }

  public long failures(ProxyFailure f) {
    return failures[f.ordinal()].sum();
  }

  public long retriesDenied() {
    return retriesDenied.sum();
  }

  public long retries() {
    return retries.sum();
  }

  public long clientAborts() {
    return clientAborts.sum();
  }

  /** Requests received whose response has not finished yet. */
  public long active() {
    return active.sum();
  }

  /** Open client connections. */
  public long connections() {
    return connections.sum();
  }

  /** HTTP/2 receive window that streams hold beyond the protocol's 64 KiB, over every loop's budget. */
  public long http2WindowHeld() {
    return http2WindowHeld.sum();
  }

  void http2WindowHeld(long change) {
    http2WindowHeld.add(change);
  }
}
