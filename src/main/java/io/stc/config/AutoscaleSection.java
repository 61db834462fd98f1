package io.stc.config;

import io.stc.config.AutoscaleConfig.Metric;
import io.stc.config.AutoscaleConfig.Policy;
import io.stc.config.AutoscaleConfig.Provider;
import io.stc.config.AutoscaleConfig.ProviderKind;
import io.stc.config.AutoscaleConfig.ScheduleWindow;
import io.stc.config.StcConfig.BackendConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/** Reads and cross-checks the {@code autoscale} section of a config file. */
final class AutoscaleSection {
  static final String[] KEYS = {
    "enabled", "provider", "policy", "min", "max", "interval", "max_inflight", "target", "metric",
    "utilization", "tolerance", "stable_window", "panic_window", "panic_threshold", "stabilization_window",
    "max_step_up", "threshold_up", "threshold_down", "rps_up", "rps_down", "cooldown_up", "cooldown_down",
    "max_scale_down_rate", "drain_timeout", "start_timeout", "leader_election", "fleet", "slo", "schedule"
  };
  private static final List<String> KUBERNETES_ONLY = List.of("namespace", "deployment", "service", "port", "kubeconfig");
  private static final int MAX_INSTANCES = 1000;

  private AutoscaleSection() {}

  /**
   * The section, with defaults that follow the proxy's per-backend {@code max_inflight} (0: none)
   * and its {@code drain_timeout} (a scale-down drains like any other removal unless told otherwise).
   */
  static AutoscaleConfig read(ConfigMap a, int proxyMaxInflight, Duration proxyDrainTimeout) {
    AutoscaleConfig d = AutoscaleConfig.defaults(proxyMaxInflight);
    Provider provider = provider(a.section("provider", "kind", "command", "log_dir", "stop_timeout", "backends",
        "max_starting", "namespace", "deployment", "service", "port", "kubeconfig", "image", "env", "network", "labels", "pull", "engine"));
    if (provider.kind() == ProviderKind.KUBERNETES) {
      provider = KubernetesSection.withReplicas(provider, a);
    } else {
      for (String kubernetesOnly : List.of("leader_election", "fleet")) {
        if (a.has(kubernetesOnly)) {
          throw a.fail(kubernetesOnly, "only used with provider kind kubernetes");
        }
      }
    }
    Policy policy = a.value("policy", "a policy name", s -> named(s, Policy.values(), Policy::configName), d.policy());
    Metric metric = a.value("metric", "a metric name", s -> named(s, Metric.values(), Metric::configName), d.metric());

    boolean fixedList = provider.kind() == ProviderKind.STATIC;
    int listed = provider.backends().size();
    int max = a.integer("max", 1, MAX_INSTANCES, fixedList ? listed : d.max());
    if (fixedList && max > listed) {
      throw a.fail("max", "expected at most " + listed + " (the static provider's backends), got " + max);
    }
    int min = a.integer("min", 0, MAX_INSTANCES, Math.min(d.min(), max));
    if (min > max) {
      throw a.fail(a.has("max") ? "max" : "min", "min (" + min + ") is above max (" + max + ")");
    }
    if (min == 0 && proxyMaxInflight == 0 && a.bool("enabled", d.enabled())) {
      throw a.fail("min", "0 needs the top-level max_inflight: its queue holds requests while the first instance starts");
    }

    int maxInflight = a.integer("max_inflight", 1, 1_000_000, d.maxInflight());
    double utilization = a.decimal("utilization", 0.01, 1, d.utilization());
    double rpsUp = a.positiveDecimal("rps_up", d.rpsUp());
    double rpsDown = a.decimal("rps_down", 0, Double.POSITIVE_INFINITY, d.rpsDown());
    if (rpsDown >= rpsUp) {
      throw a.fail(a.has("rps_down") ? "rps_down" : "rps_up", "rps_down (" + ConfigMap.plain(rpsDown)
          + ") must be below rps_up (" + ConfigMap.plain(rpsUp) + ")");
    }
    double thresholdUp = a.decimal("threshold_up", 0.01, 1, d.thresholdUp());
    double thresholdDown = a.decimal("threshold_down", 0, 1, d.thresholdDown());
    if (thresholdDown >= thresholdUp) {
      throw a.fail(a.has("threshold_down") ? "threshold_down" : "threshold_up", "threshold_down ("
          + ConfigMap.plain(thresholdDown) + ") must be below threshold_up (" + ConfigMap.plain(thresholdUp) + ")");
    }
    Double dfltTarget = AutoscaleConfig.defaultTarget(policy, metric, maxInflight, utilization, rpsUp);
    if (dfltTarget == null && !a.has("target")) {
      throw a.fail("target", "missing (required with policy target and metric " + metric.configName() + ")");
    }
    double target = a.positiveDecimal("target", dfltTarget == null ? 0 : dfltTarget);

    Duration stableWindow = a.positiveDuration("stable_window", d.stableWindow());
    Duration panicWindow = a.positiveDuration("panic_window", d.panicWindow());
    if (panicWindow.compareTo(stableWindow) > 0) {
      throw a.fail(a.has("panic_window") ? "panic_window" : "stable_window",
          "panic_window (" + panicWindow.toMillis() + "ms) must not be longer than stable_window ("
              + stableWindow.toMillis() + "ms)");
    }
    double maxScaleDownRate = a.decimal("max_scale_down_rate", 1, Double.POSITIVE_INFINITY, d.maxScaleDownRate());
    if (maxScaleDownRate <= 1) {
      throw a.fail("max_scale_down_rate", "expected a number above 1 (2 = at most halve per decision), got "
          + ConfigMap.plain(maxScaleDownRate));
    }
    return new AutoscaleConfig(
        a.bool("enabled", d.enabled()),
        provider,
        policy,
        min,
        max,
        a.positiveDuration("interval", d.interval()),
        maxInflight,
        target,
        metric,
        utilization,
        a.decimal("tolerance", 0, 0.99, d.tolerance()),
        stableWindow,
        panicWindow,
        a.decimal("panic_threshold", 1, Double.POSITIVE_INFINITY, d.panicThreshold()),
        a.duration("stabilization_window", d.stabilizationWindow()),
        a.integer("max_step_up", 1, MAX_INSTANCES, d.maxStepUp()),
        thresholdUp,
        thresholdDown,
        rpsUp,
        rpsDown,
        a.duration("cooldown_up", d.cooldownUp()),
        a.duration("cooldown_down", d.cooldownDown()),
        maxScaleDownRate,
        a.duration("drain_timeout", proxyDrainTimeout),
        a.positiveDuration("start_timeout", d.startTimeout()),
        a.section("slo", "p99").positiveDuration("p99", d.slo()),
        schedule(a, min, max));
  }

  /** The {@code schedule} windows, each with its start and end checked to fire at all. */
  private static List<ScheduleWindow> schedule(ConfigMap a, int min, int max) {
    List<ScheduleWindow> windows = new ArrayList<>();
    for (ConfigNode item : a.list("schedule")) {
      ConfigMap w = item.asMap("start", "end", "min", "timezone");
      java.time.ZoneId zone = w.value("timezone", "a time zone such as Europe/Berlin or UTC", AutoscaleSection::zone,
          java.time.ZoneId.systemDefault());
      CronExpression start = cron(w, "start");
      CronExpression end = cron(w, "end");
      if (!w.has("min")) {
        throw w.fail("min", "missing (required: the fewest instances while the window is open)");
      }
      int floor = w.integer("min", 0, MAX_INSTANCES, 0);
      if (floor > max) {
        throw w.fail("min", "above max (" + max + "): " + floor);
      }
      if (floor <= min) {
        throw w.fail("min", "not above autoscale.min (" + min + "): the window would change nothing");
      }
      windows.add(new ScheduleWindow(start, end, floor, zone));
    }
    return windows;
  }

  private static java.time.ZoneId zone(String name) {
    try {
      return java.time.ZoneId.of(name);
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException("unknown time zone '" + name + "' (an IANA name such as Europe/Berlin, or UTC, or +01:00)");
    }
  }

  private static CronExpression cron(ConfigMap w, String key) {
    if (!w.has(key)) {
      throw w.fail(key, "missing (required: a cron expression such as \"0 8 * * mon-fri\")");
    }
    CronExpression c = w.value(key, "a cron expression (minute hour day-of-month month day-of-week)", CronExpression::parse, null);
    java.time.ZonedDateTime far = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusYears(4);
    if (c.lastAtOrBefore(far, java.time.ZoneOffset.UTC) == null) {
      throw w.fail(key, "'" + c + "' never fires");
    }
    return c;
  }

  private static Provider provider(ConfigMap p) {
    Provider kind = providerOfKind(p);
    if (kind.kind() == ProviderKind.STATIC) {
      if (p.has("max_starting")) {
        throw p.fail("max_starting", "not used with kind static (its instances are listed, not started)");
      }
      return kind;
    }
    return kind.withMaxStarting(p.integer("max_starting", 0, MAX_INSTANCES, kind.maxStarting()));
  }

  private static Provider providerOfKind(ConfigMap p) {
    Provider d = Provider.defaults();
    ProviderKind kind = p.value("kind", "a provider kind",
        s -> named(s, ProviderKind.values(), ProviderKind::configName), d.kind());
    if (kind != ProviderKind.KUBERNETES) {
      for (String kubernetesOnly : KUBERNETES_ONLY) {
        if (p.has(kubernetesOnly) && !(kind == ProviderKind.DOCKER && kubernetesOnly.equals("port"))) {
          throw p.fail(kubernetesOnly, "only used with kind kubernetes" + (kubernetesOnly.equals("port") ? " or docker" : ""));
        }
      }
    }
    if (kind != ProviderKind.DOCKER) {
      for (String dockerOnly : DockerSection.KEYS) {
        if (p.has(dockerOnly)) {
          throw p.fail(dockerOnly, "only used with kind docker");
        }
      }
    } else {
      for (String notHere : List.of("log_dir", "backends")) {
        if (p.has(notHere)) {
          throw p.fail(notHere, "not used with kind docker (each instance is a container; its log is the engine's)");
        }
      }
      return Provider.docker(DockerSection.read(p), p.positiveDuration("stop_timeout", d.stopTimeout()));
    }
    if (kind == ProviderKind.KUBERNETES) {
      for (String notHere : List.of("command", "log_dir", "backends")) {
        if (p.has(notHere)) {
          throw p.fail(notHere, "not used with kind kubernetes (the Deployment's pods are the instances)");
        }
      }
      return new Provider(kind, List.of(), d.logDir(), p.positiveDuration("stop_timeout", KubernetesSection.STOP_TIMEOUT),
          List.of(), KubernetesSection.target(p));
    }
    if (kind == ProviderKind.STATIC) {
      for (String processOnly : List.of("command", "log_dir")) {
        if (p.has(processOnly)) {
          throw p.fail(processOnly, "only used with kind process");
        }
      }
      if (p.has("stop_timeout")) {
        throw p.fail("stop_timeout", "only used with kinds process and kubernetes");
      }
      List<BackendConfig> backends = staticBackends(p);
      if (backends.isEmpty()) {
        throw p.fail("backends", "missing (required with kind static)");
      }
      return new Provider(kind, List.of(), d.logDir(), d.stopTimeout(), backends);
    }
    if (p.has("backends")) {
      throw p.fail("backends", "only used with kind static");
    }
    List<String> command = p.stringList("command", d.command());
    if (command.stream().noneMatch(arg -> arg.contains("{port}"))) {
      throw p.fail("command", "must contain {port}, the port the instance is to listen on");
    }
    return new Provider(
        kind,
        command,
        p.value("log_dir", "a directory", s -> Path.of(ConfigMap.nonEmpty(s)), d.logDir()),
        p.positiveDuration("stop_timeout", d.stopTimeout()),
        List.of());
  }

  /** host:port strings; weights do not apply, as every instance the autoscaler adds weighs 1. */
  private static List<BackendConfig> staticBackends(ConfigMap p) {
    List<BackendConfig> result = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (ConfigNode item : p.list("backends")) {
      BackendConfig b = item.as("host:port", BackendSpec::parse);
      if (b.weight() != BackendSpec.DEFAULT_WEIGHT) {
        throw item.fail("expected host:port without a weight (every instance weighs 1)");
      }
      if (!seen.add(b.id())) {
        throw item.fail("duplicate backend " + b.id());
      }
      result.add(b);
    }
    return List.copyOf(result);
  }

  private static <E extends Enum<E>> E named(String text, E[] values, Function<E, String> name) {
    String wanted = text.trim().toLowerCase(Locale.ROOT).replace('-', '_');
    List<String> names = new ArrayList<>();
    for (E e : values) {
      if (name.apply(e).equals(wanted)) {
        return e;
      }
      names.add(name.apply(e));
    }
    throw new IllegalArgumentException("unknown value '" + text + "'; valid: " + String.join(", ", names));
  }
}
