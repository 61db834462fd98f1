package io.stc.backend;

/** Thrown when a {@link DemoBackend} cannot start listening, e.g. its port is taken. */
public final class BackendStartException extends RuntimeException {
  public BackendStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
