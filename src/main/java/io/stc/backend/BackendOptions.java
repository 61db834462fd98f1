package io.stc.backend;

import java.util.Objects;

/**
 * How a {@link DemoBackend} behaves: where it listens and how slow, flaky and small it pretends to be.
 *
 * @param name the name reported in every reply; {@code null} means {@code backend-<port>}
 * @param host the address to bind
 * @param port the port to bind, 0 for any free port
 * @param delaySeconds how long each normal request waits before it is answered
 * @param jitterSeconds half-width of the uniform noise added to the delay
 * @param errorRate the fraction (0..1) of normal requests answered 500
 * @param capacity the most normal requests in flight at once, beyond which 503; 0 means unlimited
 */
public record BackendOptions(
    String name,
    String host,
    int port,
    double delaySeconds,
    double jitterSeconds,
    double errorRate,
    int capacity) {

  public BackendOptions {
    Objects.requireNonNull(host, "host");
    if (name != null && name.isBlank()) {
      throw new IllegalArgumentException("--name must not be blank");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("--port must be between 0 and 65535, got " + port);
    }
    if (!(delaySeconds >= 0) || Double.isInfinite(delaySeconds)) {
      throw new IllegalArgumentException("--delay must be a number of seconds >= 0, got " + delaySeconds);
    }
    if (!(jitterSeconds >= 0) || Double.isInfinite(jitterSeconds)) {
      throw new IllegalArgumentException("--jitter must be a number of seconds >= 0, got " + jitterSeconds);
    }
    if (!(errorRate >= 0 && errorRate <= 1)) {
      throw new IllegalArgumentException("--error-rate must be between 0 and 1, got " + errorRate);
    }
    if (capacity < 0) {
      throw new IllegalArgumentException("--capacity must be >= 0 (0 = unlimited), got " + capacity);
    }
  }

  /** A fast, reliable, unlimited backend on a free port of 127.0.0.1. */
  public static BackendOptions defaults() {
    return new BackendOptions(null, "127.0.0.1", 0, 0, 0, 0, 0);
  }

  public BackendOptions withName(String newName) {
    return new BackendOptions(newName, host, port, delaySeconds, jitterSeconds, errorRate, capacity);
  }

  public BackendOptions withDelay(double seconds, double jitter) {
    return new BackendOptions(name, host, port, seconds, jitter, errorRate, capacity);
  }

  public BackendOptions withErrorRate(double rate) {
    return new BackendOptions(name, host, port, delaySeconds, jitterSeconds, rate, capacity);
  }

  public BackendOptions withCapacity(int max) {
    return new BackendOptions(name, host, port, delaySeconds, jitterSeconds, errorRate, max);
  }
}
