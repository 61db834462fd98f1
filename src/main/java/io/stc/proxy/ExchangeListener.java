package io.stc.proxy;

/** Told about every finished exchange, on the event loop that ran it: must be fast and must not block. */
@FunctionalInterface
public interface ExchangeListener {
  /** {@code ended} is valid only during the call: the exchange serves the connection's next request after it. */
  void exchangeEnded(EndedExchange ended);
}
