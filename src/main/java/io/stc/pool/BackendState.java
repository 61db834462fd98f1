package io.stc.pool;

/** The lifecycle state of a backend: only UP backends receive new requests. */
public enum BackendState {
  /** Healthy and in rotation. */
  UP,
  /** Failed its health checks or was ejected passively; out of rotation. */
  DOWN,
  /** Being taken out: no new requests, in-flight ones finish. */
  DRAINING,
  /** Taken out by an operator for maintenance: health checks leave it alone until the operator brings it back. */
  MAINT;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
