package io.stc.proxy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * The gRPC side of one exchange: whether its request is a gRPC call, the call's own deadline, and
 * the grpc-status it ends with, counted once. An exchange reuses one for each of its requests.
 */
final class GrpcCall {
  private final ProxyStats stats;
  private boolean active;
  /** When the call's grpc-timeout runs out (clock nanoseconds), or 0 when it has none. */
  private long deadlineNanos;
  /** The grpc-status of the response's head (a trailers-only answer), or -1. */
  private int headStatus = -1;
  /** The current attempt was counted early: an UNAVAILABLE with nowhere else to go. */
  private boolean settled;
  /** The grpc-status the call ended with, as counted, or -1 while none is known. */
  private int ended = -1;

  GrpcCall(ProxyStats stats) {
    this.stats = stats;
  }

  /** A request began at {@code startNanos}: is it a call, and by when must it end? */
  void start(HttpHeaders requestHeaders, long startNanos) {
    active = GrpcStatus.isGrpc(requestHeaders);
    long timeout = active ? GrpcStatus.timeoutNanos(requestHeaders.get("grpc-timeout")) : -1;
    deadlineNanos = timeout >= 0 ? startNanos + Math.max(1, timeout) : 0;
    headStatus = -1;
    settled = false;
    ended = -1;
  }

  /** The grpc-status the call ended with (the backend's, or stc's own), or -1: not a call, or none came. */
  int endedWith() {
    return ended;
  }

  /** Whether the request is a gRPC call: its failures are answered in gRPC's terms. */
  boolean active() {
    return active;
  }

  /**
   * The wait for a response head: the call's own deadline when it has one, else the proxy's
   * timeout. The caller chose how long the call may take, and a server stream's first message (with
   * which grpc-go sends the head) may be minutes away, as a watch's first event is; past the
   * deadline its caller has given up.
   */
  long responseWait(long timeoutNanos, long nowNanos) {
    return deadlineNanos == 0 ? timeoutNanos : Math.max(0, deadlineNanos - nowNanos);
  }

  /** Whether this response is the backend refusing the call before any response: a trailers-only UNAVAILABLE. */
  boolean refusedUnavailable(ResponseHead head, boolean headEndedStream) {
    return active && head.status == 200 && headEndedStream
        && GrpcStatus.parse(head.value("grpc-status")) == GrpcStatus.UNAVAILABLE;
  }

  /** The refused attempt goes elsewhere: its UNAVAILABLE is counted now. */
  void countRefused() {
    stats.grpcStatus(GrpcStatus.UNAVAILABLE);
  }

  /** The refused attempt was counted, but nothing else could take the call: its answer goes to the client as it is. */
  void settle() {
    settled = true;
  }

  /** Whether the current attempt's outcome was already counted. */
  boolean settled() {
    return settled;
  }

  /** The response's head is going to the client. */
  void headForwarded(ResponseHead head) {
    headStatus = active ? GrpcStatus.parse(head.value("grpc-status")) : -1;
  }

  /**
   * The response ended with these trailers: counts the call's grpc-status (from the trailers, else
   * a trailers-only head) and says whether it is the backend's failure. False for a non-gRPC request.
   */
  boolean endedInFailure(HttpHeaders trailers) {
    if (!active) {
      return false;
    }
    int code = GrpcStatus.of(trailers);
    if (code < 0) {
      code = headStatus;
    }
    if (code < 0) {
      return false;
    }
    ended = code;
    if (!settled) {
      stats.grpcStatus(code);
    }
    return GrpcStatus.isBackendFailure(code);
  }

  /** The proxy's own answer to a call it fails, counted as the status it carries. */
  FullHttpResponse answer(ProxyFailure failure, boolean close) {
    ended = GrpcStatus.forFailure(failure);
    stats.grpcStatus(ended);
    return failure.grpcResponse(close);
  }

  /** The trailers that end a stream whose backend failed mid-response: UNAVAILABLE, which its caller may retry. */
  HttpHeaders brokenOffTrailers(ProxyFailure failure) {
    HttpHeaders trailers = new DefaultHttpHeaders();
    trailers.setInt("grpc-status", GrpcStatus.UNAVAILABLE);
    trailers.set("grpc-message", failure == ProxyFailure.BACKEND_CLOSED
        ? "stc: backend closed the connection mid-response" : "stc: " + failure.message());
    stats.grpcStatus(GrpcStatus.UNAVAILABLE);
    ended = GrpcStatus.UNAVAILABLE;
    return trailers;
  }
}
