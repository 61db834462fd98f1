package io.stc.balance;

/**
 * What a balancer may know about the request it routes; values are computed lazily by the proxy so
 * algorithms that ignore them cost nothing.
 */
public interface Request {
  /** A request with no client information, for algorithms that ignore it and for tests. */
  Request NONE = new Request() {};

  /** The client's IP address as text, or null when unknown. */
  default String clientIp() {
    return null;
  }

  /** The first value of a request header, or null. */
  default String header(String name) {
    return null;
  }

  /** The value of a request cookie, or null. */
  default String cookie(String name) {
    return null;
  }
}
