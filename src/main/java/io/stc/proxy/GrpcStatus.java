package io.stc.proxy;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * gRPC's status codes as stc meets them: read from a response's trailers (or a trailers-only
 * head), counted, judged for the circuit breaker, and chosen for the answers stc gives gRPC calls
 * itself.
 */
public final class GrpcStatus {
  public static final int OK = 0;
  public static final int CANCELLED = 1;
  public static final int UNKNOWN = 2;
  public static final int DEADLINE_EXCEEDED = 4;
  public static final int PERMISSION_DENIED = 7;
  public static final int RESOURCE_EXHAUSTED = 8;
  public static final int UNIMPLEMENTED = 12;
  public static final int INTERNAL = 13;
  public static final int UNAVAILABLE = 14;
  /** Codes 0..16; anything else a backend sends is counted as UNKNOWN. */
  public static final int COUNT = 17;

  private static final String[] NAMES = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
  };

  private GrpcStatus() {}

  /** Whether a request is a gRPC call: its content type is application/grpc or a subtype of it. */
  static boolean isGrpc(HttpHeaders requestHeaders) {
    String type = requestHeaders.get("content-type");
    return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16)
        && (type.length() == 16 || type.charAt(16) == '+' || type.charAt(16) == ';');
  }

  /** The grpc-status in these fields: its code, UNKNOWN when it is not a known number, -1 when absent. */
  static int of(HttpHeaders fields) {
    return fields == null ? -1 : parse(fields.get("grpc-status"));
  }

  /** A grpc-status value's code, UNKNOWN when it is not a known number, -1 when null. */
  static int parse(String v) {
    if (v == null) {
      return -1;
    }
    int code = 0;
    if (v.isEmpty() || v.length() > 2) {
      return UNKNOWN;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return UNKNOWN;
      }
      code = code * 10 + (c - '0');
    }
    return code < COUNT ? code : UNKNOWN;
  }

  /**
   * Whether a call that ended with this code says the backend is failing: UNAVAILABLE,
   * RESOURCE_EXHAUSTED and INTERNAL do; what the caller asked for wrongly (NOT_FOUND,
   * INVALID_ARGUMENT, ...) or gave up on (CANCELLED, DEADLINE_EXCEEDED) does not.
   */
  static boolean isBackendFailure(int code) {
    return code == UNAVAILABLE || code == RESOURCE_EXHAUSTED || code == INTERNAL;
  }

  /** The code's name as gRPC spells it (UNAVAILABLE), for stats and metrics. */
  public static String name(int code) {
    return code >= 0 && code < COUNT ? NAMES[code] : "UNKNOWN";
  }

  /**
   * The code stc answers a gRPC call with when the proxy itself fails it, following gRPC's mapping
   * of HTTP statuses, but naming timeouts and exhaustion for what they are.
   */
  static int forFailure(ProxyFailure f) {
    return switch (f) {
      case RESPONSE_TIMEOUT, BODY_TIMEOUT -> DEADLINE_EXCEEDED;
      case QUEUE_FULL, RATE_LIMITED, BODY_TOO_LARGE, HEADERS_TOO_LARGE, CONNECTION_LIMIT -> RESOURCE_EXHAUSTED;
      case NOT_IMPLEMENTED, VERSION_NOT_SUPPORTED -> UNIMPLEMENTED;
      case FORBIDDEN -> PERMISSION_DENIED;
      case BAD_REQUEST, URI_TOO_LONG, EXPECTATION_FAILED, BAD_RESPONSE -> INTERNAL;
      default -> UNAVAILABLE;
    };
  }

  /**
   * A grpc-timeout value (RFC-free but fixed by gRPC: up to 8 digits and a unit of H, M, S, m, u
   * or n) in nanoseconds, or -1 when absent or malformed (then the proxy's own timeout applies).
   */
  static long timeoutNanos(String v) {
    if (v == null || v.length() < 2 || v.length() > 9) {
      return -1;
    }
    long n = 0;
    for (int i = 0; i < v.length() - 1; i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    long unit = switch (v.charAt(v.length() - 1)) {
      case 'H' -> 3_600_000_000_000L;
      case 'M' -> 60_000_000_000L;
      case 'S' -> 1_000_000_000L;
      case 'm' -> 1_000_000L;
      case 'u' -> 1_000L;
      case 'n' -> 1L;
      default -> -1;
    };
    // Eight digits of hours overflow a long of nanoseconds: such a deadline is as good as none.
    return unit < 0 ? -1 : n > Long.MAX_VALUE / unit ? Long.MAX_VALUE : n * unit;
  }
}
