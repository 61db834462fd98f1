package io.stc.proxy;

import io.netty.handler.codec.http.HttpResponseStatus;
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
  RATE_LIMITED(HttpResponseStatus.TOO_MANY_REQUESTS, "rate_limited", "too many requests"),
  BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed request"),
  HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", "request header fields too large"),
  BODY_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large", "request body too large"),
  URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long", "request line too long");

  private final HttpResponseStatus status;
  private final String label;
  private final byte[] body;

  ProxyFailure(HttpResponseStatus status, String label, String message) {
    this.status = status;
    this.label = label;
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

  /** The JSON body sent to the client; shared, never modify. */
  byte[] body() {
    return body;
  }

  /** Whether the failure came from the client's request rather than from a backend. */
  public boolean isClientError() {
    return status.code() < 500;
  }
}
