package io.stc.health;

import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;

/**
 * gRPC's standard health check ({@code grpc.health.v1.Health/Check}) by hand: the request message
 * framed for gRPC, and the verdict read from the response's status and message, so stc needs no
 * protobuf runtime for one enum.
 */
final class GrpcHealthCheck {
  static final String PATH = "/grpc.health.v1.Health/Check";
  /** The verdict that passes. */
  static final String SERVING = "SERVING";
  private static final String[] STATUSES = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};

  private GrpcHealthCheck() {}

  /** A length-prefixed HealthCheckRequest{service}: field 1, a string. */
  static byte[] request(String service) {
    byte[] name = service.getBytes(StandardCharsets.UTF_8);
    byte[] message = name.length == 0 ? new byte[0] : concat(new byte[] {0x0A}, varint(name.length), name);
    byte[] prefix = {0, (byte) (message.length >>> 24), (byte) (message.length >>> 16), (byte) (message.length >>> 8), (byte) message.length};
    return concat(prefix, message);
  }

  /**
   * What the answer says: SERVING, NOT_SERVING, SERVICE_UNKNOWN, UNKNOWN, or why it is no answer
   * (an HTTP status, a grpc-status other than OK, a malformed message).
   */
  static String verdict(int httpStatus, MultiMap headers, MultiMap trailers, byte[] body) {
    if (httpStatus != 200) {
      return "HTTP " + httpStatus;
    }
    String status = trailers.get("grpc-status");
    if (status == null) {
      status = headers.get("grpc-status");
    }
    if (!"0".equals(status)) {
      String message = trailers.get("grpc-message");
      return "status " + (status == null ? "missing" : status) + (message == null ? "" : " (" + message + ")");
    }
    if (body.length < 5 || body[0] != 0) {
      return "malformed response";
    }
    int length = ((body[1] & 0xFF) << 24) | ((body[2] & 0xFF) << 16) | ((body[3] & 0xFF) << 8) | (body[4] & 0xFF);
    if (length < 0 || 5 + length > body.length) {
      return "malformed response";
    }
    // HealthCheckResponse{status = 1: enum}; absent means 0, UNKNOWN.
    int code = 0;
    int i = 5;
    int end = 5 + length;
    while (i < end) {
      int tag = body[i++] & 0xFF;
      if (tag == 0x08) {
        long v = 0;
        int shift = 0;
        while (i < end) {
          int b = body[i++] & 0xFF;
          v |= (long) (b & 0x7F) << shift;
          shift += 7;
          if ((b & 0x80) == 0) {
            break;
          }
        }
        code = (int) v;
      } else {
        // A field this check does not know: a newer server's; the status is all it needs.
        return code >= 0 && code < STATUSES.length ? STATUSES[code] : "UNKNOWN";
      }
    }
    return code >= 0 && code < STATUSES.length ? STATUSES[code] : "UNKNOWN";
  }

  private static byte[] varint(int n) {
    byte[] out = new byte[5];
    int i = 0;
    while ((n & ~0x7F) != 0) {
      out[i++] = (byte) ((n & 0x7F) | 0x80);
      n >>>= 7;
    }
    out[i++] = (byte) n;
    return java.util.Arrays.copyOf(out, i);
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
