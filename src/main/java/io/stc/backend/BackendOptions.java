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
 * @param maxInflight the most normal requests in flight at once, beyond which 503; 0 means unlimited
 * @param serviceSeconds the simulator's instance model ({@link InstanceModel}) instead of the
 *     delay: a request alone takes this long on average; 0 for the plain delay
 * @param capacity with the model, the requests this instance serves before each more slows all
 *     (drawn from a range at start)
 * @param noise with the model, what a service time is multiplied by
 */
public record BackendOptions(
    String name,
    String host,
    int port,
    double delaySeconds,
    double jitterSeconds,
    double errorRate,
    int maxInflight,
    double serviceSeconds,
    int capacity,
    InstanceModel.Noise noise) {

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
    if (maxInflight < 0) {
      throw new IllegalArgumentException("--max-inflight must be >= 0 (0 = unlimited), got " + maxInflight);
    }
    if (!(serviceSeconds >= 0) || Double.isInfinite(serviceSeconds)) {
      throw new IllegalArgumentException("--service-time must not be negative");
    }
    if (serviceSeconds > 0 && (delaySeconds > 0 || jitterSeconds > 0)) {
      throw new IllegalArgumentException("--service-time and --delay/--jitter exclude each other: the model sets the delay");
    }
    if (capacity < 1) {
      throw new IllegalArgumentException("--capacity must be at least 1, got " + capacity);
    }
    Objects.requireNonNull(noise, "noise");
  }

  /** A backend without the instance model: its requests take the plain delay. */
  public BackendOptions(
      String name, String host, int port, double delaySeconds, double jitterSeconds, double errorRate, int maxInflight) {
    this(name, host, port, delaySeconds, jitterSeconds, errorRate, maxInflight, 0, 1, InstanceModel.Noise.EXP);
  }

  /** Whether requests take the simulator's modelled service time rather than the plain delay. */
  public boolean modelled() {
    return serviceSeconds > 0;
  }

  /** A fast, reliable, unlimited backend on a free port of 127.0.0.1. */
  public static BackendOptions defaults() {
    return new BackendOptions(null, "127.0.0.1", 0, 0, 0, 0, 0, 0, 1, InstanceModel.Noise.EXP);
  }

  public BackendOptions withName(String newName) {
    return new BackendOptions(newName, host, port, delaySeconds, jitterSeconds, errorRate, maxInflight, serviceSeconds,
        capacity, noise);
  }

  public BackendOptions withDelay(double seconds, double jitter) {
    return new BackendOptions(name, host, port, seconds, jitter, errorRate, maxInflight, serviceSeconds, capacity, noise);
  }

  public BackendOptions withErrorRate(double rate) {
    return new BackendOptions(name, host, port, delaySeconds, jitterSeconds, rate, maxInflight, serviceSeconds, capacity,
        noise);
  }

  public BackendOptions withMaxInflight(int max) {
    return new BackendOptions(name, host, port, delaySeconds, jitterSeconds, errorRate, max, serviceSeconds, capacity,
        noise);
  }

  /** The simulator's instance model ({@link InstanceModel}): {@code seconds} for a request alone on an instance of {@code capacity}. */
  public BackendOptions withModel(double seconds, int capacity, InstanceModel.Noise noise) {
    return new BackendOptions(name, host, port, delaySeconds, jitterSeconds, errorRate, maxInflight, seconds, capacity,
        noise);
  }
}
