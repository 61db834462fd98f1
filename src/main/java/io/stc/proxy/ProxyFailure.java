package io.stc.proxy;

import io.netty.buffer.Unpooled;
import io.stc.config.ErrorPages;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.charset.StandardCharsets;

/** Every way a proxied request can fail: the status the client gets and the label its metric carries. */
public enum ProxyFailure {
  NO_BACKEND(HttpResponseStatus.SERVICE_UNAVAILABLE, "no_backend", "no backend available"),
  CONNECT_FAILED(HttpResponseStatus.BAD_GATEWAY, "connect_failed", "could not connect to a backend"),
  BACKEND_CLOSED(HttpResponseStatus.BAD_GATEWAY, "backend_closed", "backend closed the connection before responding"),
  BAD_RESPONSE(HttpResponseStatus.BAD_GATEWAY, "bad_response", "backend sent an invalid response"),
  QUEUE_FULL(HttpResponseStatus.SERVICE_UNAVAILABLE, "queue_full", "every backend is busy and the queue is full"),
  QUEUE_TIMEOUT(HttpResponseStatus.SERVICE_UNAVAILABLE, "queue_timeout", "no backend had room within the queue timeout"),
  RESPONSE_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "response_timeout", "backend did not respond in time"),
  BACKEND_SEND_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "backend_send_timeout", "backend took none of the request body in time"),
  /** One attempt outlived its per-try timeout on a backend that answered nothing meanwhile: retried elsewhere. */
  ATTEMPT_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "attempt_timeout", "backend did not respond within the per-try timeout"),
  RATE_LIMITED(HttpResponseStatus.TOO_MANY_REQUESTS, "rate_limited", "too many requests"),
  /** The client's address is not let in ({@code access}). */
  FORBIDDEN(HttpResponseStatus.FORBIDDEN, "forbidden", "access denied"),
  BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed request"),
  HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", "request header fields too large"),
  BODY_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large", "request body too large"),
  URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long", "request line too long"),
  VERSION_NOT_SUPPORTED(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "version_not_supported",
      "HTTP version not supported: HTTP/1.0 and HTTP/1.1 here, HTTP/2 over TLS (ALPN h2)"),
  NOT_IMPLEMENTED(HttpResponseStatus.NOT_IMPLEMENTED, "not_implemented", "not implemented: CONNECT, or a transfer coding other than chunked"),
  EXPECTATION_FAILED(HttpResponseStatus.EXPECTATION_FAILED, "expectation_failed", "only the 100-continue expectation is supported"),
  BODY_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "body_timeout", "request body not received in time"),
  /** Mid-response, so never answered: the connection is closed (an HTTP/2 stream reset). */
  SEND_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "send_timeout", "the client took none of the response in time"),
  /** Mid-response, so never answered: the client connection is broken off (an HTTP/2 stream reset). */
  RESPONSE_BODY_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "response_body_timeout", "the backend sent nothing more of the response in time"),
  /** A gRPC call on which nothing went either way: answered when no response began, else ended with UNAVAILABLE. */
  STREAM_IDLE(HttpResponseStatus.GATEWAY_TIMEOUT, "stream_idle", "nothing went either way on the call in time"),
  CONNECTION_LIMIT(HttpResponseStatus.SERVICE_UNAVAILABLE, "connection_limit", "too many connections");

  private final HttpResponseStatus status;
  private final String label;
  private final byte[] body;
  private final String message;

  ProxyFailure(HttpResponseStatus status, String label, String message) {
    this.status = status;
    this.label = label;
    this.message = message;
    this.body =
        ("{\"error\":\"" + message + "\",\"status\":" + status.code() + ",\"reason\":\"" + label + "\"}\n")
            .getBytes(StandardCharsets.US_ASCII);
  }

  public HttpResponseStatus status() {
    return status;
  }

  /** The value of the {@code reason} label on failure metrics. */
  public String label() {
    return label;
  }

  /** What went wrong, in a few words (the body's {@code error}, a gRPC answer's grpc-message). */
  String message() {
    return message;
  }

  /** The JSON body sent to the client; shared, never modify. */
  byte[] body() {
    return body;
  }

  /**
   * The answer the client gets.
   *
   * @param retryAfterSeconds for RATE_LIMITED, when to come back (other 503s say 1 s)
   * @param close whether the connection closes after it
   * @param http10Client whether the client spoke HTTP/1.0 (which needs keep-alive said out loud)
   * @param headRequest the request was a HEAD: the answer says the body's length but carries none
   *     (a client reads no body after a HEAD, so one would be taken for the next response)
   */
  FullHttpResponse response(long retryAfterSeconds, boolean close, boolean http10Client, boolean headRequest) {
    return response(retryAfterSeconds, close, http10Client, headRequest, null);
  }

  /** As {@link #response(long, boolean, boolean, boolean)}, with {@code page}'s body and type in place of the JSON when it is not null ({@code error_pages}). */
  FullHttpResponse response(long retryAfterSeconds, boolean close, boolean http10Client, boolean headRequest, ErrorPages.Page page) {
    byte[] content = page == null ? body : page.body();
    FullHttpResponse r = new DefaultFullHttpResponse(
        HttpVersion.HTTP_1_1, status, headRequest ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(content));
    HttpHeaders h = r.headers();
    h.set(HttpHeaderNames.CONTENT_TYPE, page == null ? HttpHeaderValues.APPLICATION_JSON : page.contentType());
    h.setInt(HttpHeaderNames.CONTENT_LENGTH, content.length);
    if (this == RATE_LIMITED) {
      h.set(HttpHeaderNames.RETRY_AFTER, Long.toString(retryAfterSeconds));
    } else if (status.code() == 503) {
      h.setInt(HttpHeaderNames.RETRY_AFTER, 1);
    }
    if (close) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (http10Client) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    return r;
  }

  /**
   * The answer a gRPC call gets instead: 200 with the status in a trailers-only head (gRPC clients
   * read grpc-status, not the HTTP status), UNAVAILABLE for a pool with no backend and so on.
   */
  FullHttpResponse grpcResponse(boolean close) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
    HttpHeaders h = r.headers();
    h.set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
    h.setInt("grpc-status", GrpcStatus.forFailure(this));
    // Percent-encoding leaves these messages as they are: printable ASCII without '%'.
    h.set("grpc-message", "stc: " + message);
    if (close) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return r;
  }

  /** The answer to a request the decoder could not take, by what it found wrong. */
  static ProxyFailure ofMalformed(Throwable cause) {
    if (cause instanceof RequestRejection r) {
      return r.failure();
    }
    if (cause instanceof TooLongHttpLineException) {
      return URI_TOO_LONG;
    }
    if (cause instanceof TooLongHttpContentException) {
      return BODY_TOO_LARGE;
    }
    if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
      return HEADERS_TOO_LARGE;
    }
    return BAD_REQUEST;
  }

  /** Whether the failure came from the client's request rather than from a backend. */
  public boolean isClientError() {
    return status.code() < 500;
  }
}
