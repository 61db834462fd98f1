package io.stc.proxy;

import io.stc.pool.Backend;

/** Told about every finished exchange, on the event loop that ran it: must be fast and must not block. */
@FunctionalInterface
public interface ExchangeListener {
  /**
   * @param backend the backend that served the last attempt, or null when none was picked
   * @param status the status sent to the client, or 0 when the client went away first
   * @param latencyNanos from the request head arriving to the exchange ending
   */
  void exchangeEnded(String method, String uri, String clientIp, Backend backend, int status, long latencyNanos);
}
