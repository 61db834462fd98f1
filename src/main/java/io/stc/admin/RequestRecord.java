package io.stc.admin;

/**
 * One finished request as the admin API and the access log show it.
 *
 * @param backend the backend that served it, or null when none did
 * @param status the status sent, or 0 when the client went away first
 * @param protocol {@code HTTP/1.0}, {@code HTTP/1.1} or {@code HTTP/2.0}
 * @param host the client's Host (or :authority), or null; read only for the access log, as are the next two
 * @param referer the client's Referer, or null
 * @param userAgent the client's User-Agent, or null
 * @param bodyBytes response body bytes sent to the client
 * @param failure the label of the failure stc answered or broke off with, or null
 * @param requestId the request's ID (request_id), or null when stc sets none
 * @param attempts attempts made on backends: 0 when none was picked, more after a retry (nginx's $upstream_addr lists them)
 * @param traceId the trace the request was in, 32 hex digits, or null when {@code tracing} is off
 */
public record RequestRecord(
    long epochMillis, String method, String path, String client, String backend, int status, long latencyNanos,
    String protocol, String host, String referer, String userAgent, long bodyBytes, String failure,
    String requestId, int attempts, String traceId) {
  public double latencyMillis() {
    return latencyNanos / 1e6;
  }
}
