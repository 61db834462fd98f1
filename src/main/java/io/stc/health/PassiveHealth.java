package io.stc.health;

import io.stc.pool.Backend;

/** What the data plane reports about backends as it uses them, so a dead one leaves rotation at once. */
@FunctionalInterface
public interface PassiveHealth {
  /** Does nothing: for when no health checking runs. */
  PassiveHealth NONE = (backend, cause) -> {};

  /** A connection to the backend could not be opened. Called on an event loop: must not block. */
  void connectFailed(Backend backend, Throwable cause);
}
