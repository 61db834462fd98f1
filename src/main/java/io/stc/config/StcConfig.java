package io.stc.config;

import java.time.Duration;
import java.util.List;

/**
 * The whole configuration of {@code stc serve}: what a config file holds, with command-line flags
 * applied on top. Every field has a default, so an empty file is a valid configuration.
 */
public record StcConfig(
    String host,
    int port,
    int ioThreads,
    String algorithm,
    List<BackendConfig> backends,
    Health health,
    Timeouts timeouts,
    int retries,
    String servedByHeader,
    Duration shutdownTimeout,
    Limits limits,
    AutoscaleConfig autoscale) {

  /** The configuration without autoscaling, as it was before autoscaling existed. */
  public StcConfig(
      String host, int port, int ioThreads, String algorithm, List<BackendConfig> backends, Health health,
      Timeouts timeouts, int retries, String servedByHeader, Duration shutdownTimeout, Limits limits) {
    this(host, port, ioThreads, algorithm, backends, health, timeouts, retries, servedByHeader, shutdownTimeout, limits,
        AutoscaleConfig.defaults());
  }

  /** One configured backend. */
  public record BackendConfig(String host, int port, int weight) {
    public String id() {
      return io.stc.pool.Backend.idOf(host, port);
    }
  }

  /** Active health checking: {@code GET path} every interval; rise successes to go UP, fall failures to go DOWN. */
  public record Health(
      boolean enabled, String path, Duration interval, Duration timeout, int rise, int fall) {
    public static Health defaults() {
      return new Health(true, "/health", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);
    }
  }

  /** Time limits: connecting to a backend, waiting for its response head, idle client keep-alive. */
  public record Timeouts(Duration connect, Duration response, Duration idle) {
    public static Timeouts defaults() {
      return new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(60));
    }
  }

  /** Limits on what a client may send: header block size (431) and request-line length (414), in bytes. */
  public record Limits(int headerSize, int uri) {
    public static Limits defaults() {
      return new Limits(8 * 1024, 8 * 1024);
    }
  }

  public static StcConfig defaults() {
    return new StcConfig(
        "0.0.0.0",
        8080,
        0,
        "round_robin",
        List.of(),
        Health.defaults(),
        Timeouts.defaults(),
        2,
        "X-Served-By",
        Duration.ofSeconds(30),
        Limits.defaults(),
        AutoscaleConfig.defaults());
  }

  /** The number of event loops to run: the configured value, or one per core. */
  public int effectiveIoThreads() {
    return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
  }

  public StcConfig withHost(String v) {
    return new StcConfig(v, port, ioThreads, algorithm, backends, health, timeouts, retries, servedByHeader, shutdownTimeout, limits, autoscale);
  }

  public StcConfig withPort(int v) {
    return new StcConfig(host, v, ioThreads, algorithm, backends, health, timeouts, retries, servedByHeader, shutdownTimeout, limits, autoscale);
  }

  public StcConfig withIoThreads(int v) {
    return new StcConfig(host, port, v, algorithm, backends, health, timeouts, retries, servedByHeader, shutdownTimeout, limits, autoscale);
  }

  public StcConfig withAlgorithm(String v) {
    return new StcConfig(host, port, ioThreads, v, backends, health, timeouts, retries, servedByHeader, shutdownTimeout, limits, autoscale);
  }

  public StcConfig withBackends(List<BackendConfig> v) {
    return new StcConfig(host, port, ioThreads, algorithm, List.copyOf(v), health, timeouts, retries, servedByHeader, shutdownTimeout, limits, autoscale);
  }

  public StcConfig withHealth(Health v) {
    return new StcConfig(host, port, ioThreads, algorithm, backends, v, timeouts, retries, servedByHeader, shutdownTimeout, limits, autoscale);
  }

  public StcConfig withTimeouts(Timeouts v) {
    return new StcConfig(host, port, ioThreads, algorithm, backends, health, v, retries, servedByHeader, shutdownTimeout, limits, autoscale);
  }

  public StcConfig withRetries(int v) {
    return new StcConfig(host, port, ioThreads, algorithm, backends, health, timeouts, v, servedByHeader, shutdownTimeout, limits, autoscale);
  }

  public StcConfig withServedByHeader(String v) {
    return new StcConfig(host, port, ioThreads, algorithm, backends, health, timeouts, retries, v, shutdownTimeout, limits, autoscale);
  }

  public StcConfig withAutoscale(AutoscaleConfig v) {
    return new StcConfig(host, port, ioThreads, algorithm, backends, health, timeouts, retries, servedByHeader, shutdownTimeout, limits, v);
  }
}
