package io.stc.config;

import io.soabase.recordbuilder.core.RecordBuilder;
import io.stc.config.StcConfig.BackendConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The {@code autoscale} section: where instances come from, which policy sizes the pool, its
 * bounds and time constants. Off by default; every field has a default.
 *
 * @param maxScaleDownRate the most one decision may divide the instance count by (Knative's
 *     max-scale-down-rate): 2 keeps at least half
 * @param target per-instance target of the policy: in-flight requests for {@code concurrency},
 *     the {@code metric}'s value for {@code target}; unused by {@code threshold} and {@code rps}
 * @param slo the p99 latency the {@code slo} policy keeps to at the least cost; zero to derive it
 *     from what the instances are measured to do
 * @param schedule windows of the day (or week, or year) in which the pool keeps more than {@code min}
 */
@RecordBuilder
public record AutoscaleConfig(
    boolean enabled,
    Provider provider,
    Policy policy,
    int min,
    int max,
    Duration interval,
    int maxInflight,
    double target,
    Metric metric,
    double utilization,
    double tolerance,
    Duration stableWindow,
    Duration panicWindow,
    double panicThreshold,
    Duration stabilizationWindow,
    int maxStepUp,
    double thresholdUp,
    double thresholdDown,
    double rpsUp,
    double rpsDown,
    Duration cooldownUp,
    Duration cooldownDown,
    double maxScaleDownRate,
    Duration drainTimeout,
    Duration startTimeout,
    Duration slo,
    List<ScheduleWindow> schedule) implements AutoscaleConfigBuilder.With {

  public AutoscaleConfig {
    schedule = List.copyOf(schedule);
  }

  /** With a latency objective and no schedule. */
  public AutoscaleConfig(
      boolean enabled, Provider provider, Policy policy, int min, int max, Duration interval, int maxInflight,
      double target, Metric metric, double utilization, double tolerance, Duration stableWindow,
      Duration panicWindow, double panicThreshold, Duration stabilizationWindow, int maxStepUp, double thresholdUp,
      double thresholdDown, double rpsUp, double rpsDown, Duration cooldownUp, Duration cooldownDown,
      double maxScaleDownRate, Duration drainTimeout, Duration startTimeout, Duration slo) {
    this(enabled, provider, policy, min, max, interval, maxInflight, target, metric, utilization, tolerance,
        stableWindow, panicWindow, panicThreshold, stabilizationWindow, maxStepUp, thresholdUp, thresholdDown, rpsUp,
        rpsDown, cooldownUp, cooldownDown, maxScaleDownRate, drainTimeout, startTimeout, slo, List.of());
  }

  /**
   * From a firing of {@code start} until the next of {@code end}, both read in {@code timezone}'s
   * wall-clock time, the pool keeps {@code min} instances at least (KEDA's cron scaler).
   */
  public record ScheduleWindow(CronExpression start, CronExpression end, int min, java.time.ZoneId timezone) {
    /** The window as logs and reports show it: {@code 0 8 * * mon-fri .. 0 18 * * mon-fri (Europe/Berlin)}. */
    @Override
    public String toString() {
      return start + " .. " + end + " (" + (timezone.equals(java.time.ZoneOffset.UTC) ? "UTC" : timezone.getId()) + ")";
    }
  }

  /** Without a latency objective: the {@code slo} policy derives it. */
  public AutoscaleConfig(
      boolean enabled, Provider provider, Policy policy, int min, int max, Duration interval, int maxInflight,
      double target, Metric metric, double utilization, double tolerance, Duration stableWindow,
      Duration panicWindow, double panicThreshold, Duration stabilizationWindow, int maxStepUp, double thresholdUp,
      double thresholdDown, double rpsUp, double rpsDown, Duration cooldownUp, Duration cooldownDown,
      double maxScaleDownRate, Duration drainTimeout, Duration startTimeout) {
    this(enabled, provider, policy, min, max, interval, maxInflight, target, metric, utilization, tolerance,
        stableWindow, panicWindow, panicThreshold, stabilizationWindow, maxStepUp, thresholdUp, thresholdDown, rpsUp,
        rpsDown, cooldownUp, cooldownDown, maxScaleDownRate, drainTimeout, startTimeout, Duration.ZERO);
  }

  /** How the desired instance count is computed. */
  public enum Policy {
    /** Queueing: the arrival rate over what one instance serves within the latency objective, learned online. */
    SLO,
    /** Knative-style: in-flight plus queued over per-instance target x utilization, stable and panic windows. */
    CONCURRENCY,
    /** Kubernetes HPA formula: ceil(ready x metric / target), tolerance, scale-down stabilization. */
    TARGET,
    /** Utilization steps: above threshold_up add one, below threshold_down remove one. */
    THRESHOLD,
    /** Requests per second per instance: above rps_up add one, below rps_down remove one. */
    RPS;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The per-instance metric the {@code target} policy holds at {@code target}. */
  public enum Metric {
    /** In-flight plus queued requests per ready instance. */
    INFLIGHT,
    /** Requests per second per ready instance. */
    RPS,
    /** 99th percentile latency over the last interval, in milliseconds. */
    P99_MS;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What kind of provider makes instances. */
  public enum ProviderKind {
    /** Runs a local command per instance. */
    PROCESS,
    /** Hands out a fixed list of addresses; scaling only moves them in and out of rotation. */
    STATIC,
    /** Scales a Kubernetes Deployment and follows its pods through their Service's EndpointSlices. */
    KUBERNETES,
    /** Runs a container per instance through the Docker Engine API (Docker, or podman's compatible service). */
    DOCKER;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Where instances come from: a command template ({@code {port}} and {@code {name}} substituted)
   * with its per-instance log files ({@code logDir} null: {@code <state_dir>/instances}), a
   * static list of backends, a Kubernetes Deployment ({@code kubernetes}, null for other kinds), or
   * containers ({@code docker}, null for other kinds).
   *
   * @param maxStarting the most instances starting at once (0: any number); the others wait their
   *     turn, see {@link #defaultMaxStarting}
   */
  @RecordBuilder
  public record Provider(
      ProviderKind kind, List<String> command, Path logDir, Duration stopTimeout, List<BackendConfig> backends,
      KubernetesConfig kubernetes, DockerConfig docker, int maxStarting) implements AutoscaleConfigProviderBuilder.With {
    public Provider {
      command = List.copyOf(command);
      backends = List.copyOf(backends);
      if (maxStarting < 0) {
        throw new IllegalArgumentException("maxStarting must not be negative, got " + maxStarting);
      }
    }

    /** A process or static provider, with its kind's {@link #defaultMaxStarting}. */
    public Provider(ProviderKind kind, List<String> command, Path logDir, Duration stopTimeout, List<BackendConfig> backends) {
      this(kind, command, logDir, stopTimeout, backends, null, null, defaultMaxStarting(kind));
    }

    /** A kubernetes provider, with its kind's {@link #defaultMaxStarting}. */
    public Provider(ProviderKind kind, List<String> command, Path logDir, Duration stopTimeout, List<BackendConfig> backends,
        KubernetesConfig kubernetes) {
      this(kind, command, logDir, stopTimeout, backends, kubernetes, null, defaultMaxStarting(kind));
    }

    /** A docker provider: containers of {@code docker}'s image, stopped with {@code stopTimeout} before they are killed. */
    public static Provider docker(DockerConfig docker, Duration stopTimeout) {
      return new Provider(ProviderKind.DOCKER, List.of(), null, stopTimeout, List.of(), null, docker,
          defaultMaxStarting(ProviderKind.DOCKER));
    }

    /**
     * How many instances start at once unless configured: this machine's cores for processes and
     * containers, which start on it (a JVM starting alone here is ready in about a second; a dozen
     * started together on two cores took 5 to 10 s each, and none served in the meantime), any
     * number for Kubernetes pods, which start on other nodes, and for a static list, whose
     * "start" takes no time.
     */
    public static int defaultMaxStarting(ProviderKind kind) {
      return switch (kind) {
        case PROCESS, DOCKER -> Runtime.getRuntime().availableProcessors();
        case KUBERNETES, STATIC -> 0;
      };
    }

    public static Provider defaults() {
      return new Provider(ProviderKind.PROCESS, demoBackendCommand(), null, Duration.ofSeconds(10), List.of());
    }

    /** The directory for instance logs and pid files: the configured one, or {@code <stateDir>/instances}. */
    public Path logDir(String stateDir) {
      return logDir != null ? logDir : Path.of(stateDir, "instances");
    }

    /** This stc's own demo backend ({@code stc backend}) on the same JVM and class path: the default command. */
    public static List<String> demoBackendCommand() {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      // The demo backend mostly waits: C1 only (on one compiler thread), the serial collector and a
      // small heap get an instance ready a third sooner when several start at once (4 in 2.9 s
      // instead of 4.4 s here) and use less memory, which is what a scale-up needs. The process
      // provider adds a class-data archive once it has one (ClassDataArchive).
      return List.of(
          java, "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:+UseSerialGC", "-Xmx64m",
          "-cp", System.getProperty("java.class.path"), "io.stc.cli.Main",
          "backend", "--port", "{port}", "--name", "{name}");
    }
  }

  public static AutoscaleConfig defaults() {
    return defaults(0);
  }

  /**
   * The defaults when the proxy caps each backend at {@code proxyMaxInflight} requests (0: no
   * cap): the autoscaler then assumes that capacity per instance instead of 10.
   */
  public static AutoscaleConfig defaults(int proxyMaxInflight) {
    int maxInflight = proxyMaxInflight > 0 ? proxyMaxInflight : 10;
    return new AutoscaleConfig(
        false,
        Provider.defaults(),
        Policy.SLO,
        2,
        8,
        Duration.ofSeconds(1),
        maxInflight,
        maxInflight,
        Metric.INFLIGHT,
        0.7,
        0.1,
        Duration.ofSeconds(60),
        Duration.ofSeconds(6),
        2.0,
        Duration.ofSeconds(300),
        4,
        0.7,
        0.3,
        10,
        5,
        Duration.ZERO,
        Duration.ofSeconds(30),
        2.0,
        Duration.ofSeconds(30),
        Duration.ofSeconds(60));
  }

  /**
   * The {@code target} used when none is configured: {@code max_inflight} for concurrency; for the
   * target policy {@code max_inflight x utilization} in-flight or {@code rps_up} req/s. A p99
   * target has no sensible default (null).
   */
  public static Double defaultTarget(Policy policy, Metric metric, int maxInflight, double utilization, double rpsUp) {
    if (policy != Policy.TARGET) {
      return (double) maxInflight;
    }
    return switch (metric) {
      case INFLIGHT -> maxInflight * utilization;
      case RPS -> rpsUp;
      case P99_MS -> null;
    };
  }
}
