package io.stc.proxy;

import io.stc.pool.Backend;

/** What an {@link ExchangeListener} may read of a finished exchange, while it is being told. */
public interface EndedExchange {
  String method();

  /** The request target as the client sent it. */
  String uri();

  String clientIp();

  /** The backend that served the last attempt, or null when none was picked. */
  Backend backend();

  /** Attempts made on backends: 0 when none was picked, more than 1 when the request went again elsewhere. */
  int attempts();

  /** The status sent to the client, or 0 when the client went away first. */
  int status();

  /** From the request head arriving to the exchange ending. */
  long latencyNanos();

  /** The client's protocol: {@code HTTP/1.0}, {@code HTTP/1.1} or {@code HTTP/2.0}. */
  String protocol();

  /** The value of the client's first request header of this name (an HTTP/2 :authority as host), or null. */
  String requestHeader(CharSequence name);

  /** Response body bytes written to the client (nginx's $body_bytes_sent): not the head, not a tunnel's bytes. */
  long responseBodyBytes();

  /** The request's ID ({@code request_id}), or null when stc sets none. */
  String requestId();

  /** The grpc-status a gRPC call ended with, -1 for a request that is not one or a call that got none. */
  default int grpcStatus() {
    return -1;
  }

  /** Whether the request was a gRPC call. */
  default boolean grpc() {
    return false;
  }

  /** The trace the request was in ({@code tracing}), 32 hex digits; null when tracing is off. */
  default String traceId() {
    return null;
  }

  /** Why stc answered or broke off the exchange itself, or null when the backend's response went through whole. */
  ProxyFailure failure();
}
