package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.AutoscaleConfig.Metric;
import io.stc.config.AutoscaleConfig.Policy;
import io.stc.config.AutoscaleConfig.ProviderKind;
import io.stc.config.StcConfig.BackendConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutoscaleConfigTest {
  @TempDir Path dir;

  private AutoscaleConfig load(String yaml) throws IOException {
    return ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)).autoscale();
  }

  private String error(String yaml) throws IOException {
    return ConfigFiles.error(dir, "bad.yaml", yaml);
  }

  @Test
  void offByDefaultWithDocumentedDefaults() throws IOException {
    AutoscaleConfig a = load("");
    assertThat(a).isEqualTo(AutoscaleConfig.defaults());
    assertThat(a.enabled()).isFalse();
    assertThat(a.policy()).isEqualTo(Policy.SLO);
    assertThat(a.slo()).as("derived from what is measured").isEqualTo(Duration.ZERO);
    assertThat(List.of(a.min(), a.max(), a.maxInflight(), a.maxStepUp())).containsExactly(2, 8, 10, 4);
    assertThat(List.of(a.target(), a.utilization(), a.tolerance(), a.panicThreshold(), a.thresholdUp(), a.thresholdDown(), a.rpsUp(), a.rpsDown()))
        .containsExactly(10.0, 0.7, 0.1, 2.0, 0.7, 0.3, 10.0, 5.0);
    assertThat(List.of(a.interval(), a.stableWindow(), a.panicWindow(), a.stabilizationWindow(), a.cooldownUp(), a.cooldownDown(), a.drainTimeout(), a.startTimeout()))
        .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(6), Duration.ofSeconds(300),
            Duration.ZERO, Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(60));
    assertThat(a.provider().kind()).isEqualTo(ProviderKind.PROCESS);
    assertThat(a.provider().logDir()).isNull();
    assertThat(a.provider().logDir(".stc-state")).isEqualTo(Path.of(".stc-state/instances"));
    assertThat(a.provider().command()).contains("io.stc.cli.Main", "backend", "{port}", "{name}");
    assertThat(a.provider().maxStarting()).as("the cores the processes start on")
        .isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void atMostMaxStartingInstancesStartAtOnceWhereTheyShareThisMachine() throws IOException {
    assertThat(load("autoscale:\n  provider:\n    max_starting: 0\n").provider().maxStarting()).as("any number").isZero();
    assertThat(load("autoscale:\n  provider:\n    kind: kubernetes\n    deployment: web\n    service: web\n    port: 8080\n")
        .provider().maxStarting()).as("pods start on other nodes").isZero();
    assertThat(load("autoscale:\n  provider:\n    kind: kubernetes\n    deployment: web\n    service: web\n    port: 8080\n"
        + "    max_starting: 5\n  leader_election: {}\n").provider().maxStarting()).isEqualTo(5);
    assertThat(load("autoscale:\n  provider:\n    kind: docker\n    image: nginx\n    max_starting: 4\n")
        .provider().maxStarting()).isEqualTo(4);
    assertThat(error("autoscale:\n  provider:\n    max_starting: -1\n"))
        .isEqualTo("3: autoscale.provider.max_starting: expected an integer from 0 to 1000, got -1");
    assertThat(error("autoscale:\n  provider:\n    kind: static\n    backends: [127.0.0.1:9001]\n    max_starting: 2\n"))
        .isEqualTo("5: autoscale.provider.max_starting: not used with kind static (its instances are listed, not started)");
  }

  @Test
  void anAutoscaledPoolIsBalancedByOutstandingRequestsUnlessAnAlgorithmIsSet() throws IOException {
    Path on = Files.writeString(dir.resolve("on.yaml"), "autoscale:\n  enabled: true\n");
    Path set = Files.writeString(dir.resolve("set.yaml"), "algorithm: round_robin\nautoscale:\n  enabled: true\n");
    Path off = Files.writeString(dir.resolve("off.yaml"), "port: 8081\n");
    assertThat(ConfigLoader.load(on).algorithm()).isEqualTo("least_connections").isEqualTo(StcConfig.AUTOSCALED_ALGORITHM);
    assertThat(ConfigLoader.load(set).algorithm()).isEqualTo("round_robin");
    assertThat(ConfigLoader.load(off).algorithm()).isEqualTo(StcConfig.defaults().algorithm()).isEqualTo("round_robin");
  }

  @Test
  void everyKeyIsRead() throws IOException {
    AutoscaleConfig a = load("""
        autoscale:
          enabled: true
          provider:
            kind: process
            command: [python3, -m, http.server, "{port}"]
            log_dir: /tmp/stc-logs
            stop_timeout: 3s
            max_starting: 3
          policy: target
          min: 1
          max: 5
          interval: 500ms
          max_inflight: 20
          target: 12.5
          metric: rps
          utilization: 0.8
          tolerance: 0.2
          stable_window: 30s
          panic_window: 3s
          panic_threshold: 3
          stabilization_window: 2m
          max_step_up: 2
          threshold_up: 0.9
          threshold_down: 0.2
          rps_up: 50
          rps_down: 20
          cooldown_up: 5s
          cooldown_down: 1m
          max_scale_down_rate: 1.5
          drain_timeout: 10s
          start_timeout: 2m
        """);
    assertThat(a).isEqualTo(new AutoscaleConfig(
        true,
        new AutoscaleConfig.Provider(ProviderKind.PROCESS, List.of("python3", "-m", "http.server", "{port}"),
            Path.of("/tmp/stc-logs"), Duration.ofSeconds(3), List.of()).withMaxStarting(3),
        Policy.TARGET, 1, 5, Duration.ofMillis(500), 20, 12.5, Metric.RPS, 0.8, 0.2,
        Duration.ofSeconds(30), Duration.ofSeconds(3), 3.0, Duration.ofMinutes(2), 2, 0.9, 0.2, 50, 20,
        Duration.ofSeconds(5), Duration.ofMinutes(1), 1.5, Duration.ofSeconds(10), Duration.ofMinutes(2)));
  }

  @Test
  void targetDefaultsDependOnPolicyAndMetric() throws IOException {
    assertThat(load("autoscale: {max_inflight: 4}").target()).isEqualTo(4.0);
    assertThat(load("autoscale: {policy: target, max_inflight: 10, utilization: 0.5}").target()).isEqualTo(5.0);
    assertThat(load("autoscale: {policy: target, metric: rps, rps_up: 40, rps_down: 1}").target()).isEqualTo(40.0);
    assertThat(error("autoscale:\n  policy: target\n  metric: p99_ms\n"))
        .isEqualTo("1: autoscale.target: missing (required with policy target and metric p99_ms)");
    assertThat(load("autoscale: {policy: target, metric: p99_ms, target: 250}").target()).isEqualTo(250.0);
  }

  @Test
  void drainTimeoutFollowsTheTopLevelOneUnlessSet() throws IOException {
    assertThat(load("drain_timeout: 45s\n").drainTimeout()).isEqualTo(Duration.ofSeconds(45));
    assertThat(load("drain_timeout: 45s\nautoscale: {drain_timeout: 5s}\n").drainTimeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void perInstanceCapacityFollowsTheProxysMaxInflight() throws IOException {
    AutoscaleConfig a = load("max_inflight: 4\n");
    assertThat(a.maxInflight()).isEqualTo(4);
    assertThat(a.target()).isEqualTo(4.0);
    assertThat(a).isEqualTo(AutoscaleConfig.defaults(4));
    assertThat(load("max_inflight: 4\nautoscale: {max_inflight: 6}\n").maxInflight()).isEqualTo(6);
  }

  @Test
  void staticProviderTakesHostPortsAndBoundsMax() throws IOException {
    AutoscaleConfig a = load("""
        autoscale:
          provider:
            kind: static
            backends: ["10.0.0.1:8080", "10.0.0.2:8080", "[::1]:9000"]
        """);
    assertThat(a.provider().backends()).containsExactly(
        new BackendConfig("10.0.0.1", 8080, 1), new BackendConfig("10.0.0.2", 8080, 1), new BackendConfig("::1", 9000, 1));
    assertThat(a.max()).as("max defaults to the list").isEqualTo(3);
    assertThat(a.min()).isEqualTo(2);
    assertThat(load("autoscale:\n  provider: {kind: static, backends: [\"a:1\"]}\n").min()).isEqualTo(1);

    assertThat(error("autoscale:\n  provider: {kind: static, backends: [\"a:1\"]}\n  max: 2\n"))
        .isEqualTo("3: autoscale.max: expected at most 1 (the static provider's backends), got 2");
    assertThat(error("autoscale:\n  provider:\n    kind: static\n"))
        .isEqualTo("2: autoscale.provider.backends: missing (required with kind static)");
    assertThat(error("autoscale:\n  provider:\n    kind: static\n    backends:\n      - a:1:5\n"))
        .isEqualTo("5: autoscale.provider.backends[0]: expected host:port without a weight (every instance weighs 1)");
    assertThat(error("autoscale:\n  provider:\n    kind: static\n    backends: [\"a:1\", \"a:1\"]\n"))
        .isEqualTo("4: autoscale.provider.backends[1]: duplicate backend a:1");
    assertThat(error("autoscale:\n  provider:\n    kind: static\n    backends: [\"a:1\"]\n    command: [x]\n"))
        .isEqualTo("5: autoscale.provider.command: only used with kind process");
    assertThat(error("autoscale:\n  provider:\n    backends: [\"a:1\"]\n"))
        .isEqualTo("3: autoscale.provider.backends: only used with kind static");
  }

  @Test
  void theLatencyObjectiveIsAP99() throws IOException {
    assertThat(load("autoscale: {slo: {p99: 500ms}}").slo()).isEqualTo(Duration.ofMillis(500));
    assertThat(load("autoscale:\n  slo:\n    p99: 2s\n").slo()).isEqualTo(Duration.ofSeconds(2));
    assertThat(error("autoscale:\n  slo:\n    p99: fast\n"))
        .startsWith("3: autoscale.slo.p99: expected a duration");
    assertThat(error("autoscale:\n  slo:\n    p99: 0s\n")).startsWith("3: autoscale.slo.p99: ");
    assertThat(error("autoscale:\n  slo:\n    p95: 1s\n")).startsWith("3: autoscale.slo.p95: unknown key (known: p99");
  }

  @Test
  void aScheduleRaisesMinInItsWindows() throws IOException {
    AutoscaleConfig a = load("""
        autoscale:
          max: 20
          schedule:
            - {start: "0 8 * * mon-fri", end: "0 18 * * mon-fri", min: 10, timezone: Europe/Berlin}
            - start: "@daily"
              end: "0 1 * * *"
              min: 4
        """);
    assertThat(a.schedule()).hasSize(2);
    assertThat(a.schedule().get(0).start().toString()).isEqualTo("0 8 * * mon-fri");
    assertThat(a.schedule().get(0).min()).isEqualTo(10);
    assertThat(a.schedule().get(0).timezone()).isEqualTo(java.time.ZoneId.of("Europe/Berlin"));
    assertThat(a.schedule().get(1).timezone()).as("the machine's own, as cron's").isEqualTo(java.time.ZoneId.systemDefault());
    assertThat(load("").schedule()).isEmpty();
    String head = "autoscale:\n  max: 20\n  schedule:\n";
    assertThat(error(head + "    - {start: \"0 8 * *\", end: \"0 18 * * *\", min: 5}\n")).isEqualTo(
        "4: autoscale.schedule[0].start: expected five fields (minute hour day-of-month month day-of-week), got 4 in '0 8 * *'");
    assertThat(error(head + "    - {start: \"0 8 * * *\", end: \"0 25 * * *\", min: 5}\n"))
        .isEqualTo("4: autoscale.schedule[0].end: hour: expected 0-23, got '25' in '25'");
    assertThat(error(head + "    - {start: \"0 8 31 2 *\", end: \"0 9 * * *\", min: 5}\n"))
        .isEqualTo("4: autoscale.schedule[0].start: '0 8 31 2 *' never fires");
    assertThat(error(head + "    - {start: \"0 8 * * *\", min: 5}\n"))
        .startsWith("4: autoscale.schedule[0].end: missing (required: a cron expression");
    assertThat(error(head + "    - {start: \"0 8 * * *\", end: \"0 9 * * *\"}\n"))
        .startsWith("4: autoscale.schedule[0].min: missing (required");
    assertThat(error(head + "    - {start: \"0 8 * * *\", end: \"0 9 * * *\", min: 21}\n"))
        .isEqualTo("4: autoscale.schedule[0].min: above max (20): 21");
    assertThat(error(head + "    - {start: \"0 8 * * *\", end: \"0 9 * * *\", min: 2}\n"))
        .isEqualTo("4: autoscale.schedule[0].min: not above autoscale.min (2): the window would change nothing");
    assertThat(error(head + "    - {start: \"0 8 * * *\", end: \"0 9 * * *\", min: 5, timezone: Mars/Olympus}\n"))
        .startsWith("4: autoscale.schedule[0].timezone: unknown time zone 'Mars/Olympus'");
    assertThat(error(head + "    - {start: \"0 8 * * *\", end: \"0 9 * * *\", min: 5, days: weekdays}\n"))
        .startsWith("4: autoscale.schedule[0].days: unknown key (known: start, end, min, timezone)");
  }

  @Test
  void mistakesNameTheirLineAndKey() throws IOException {
    assertThat(error("autoscale:\n  enabled: true\n  min: 5\n  max: 3\n"))
        .isEqualTo("4: autoscale.max: min (5) is above max (3)");
    assertThat(error("autoscale:\n  min: 9\n")).isEqualTo("2: autoscale.min: min (9) is above max (8)");
    assertThat(error("autoscale:\n  polcy: target\n")).startsWith("2: autoscale.polcy: unknown key (known: enabled, provider, policy,");
    assertThat(error("autoscale:\n  policy: fastest\n"))
        .isEqualTo("2: autoscale.policy: unknown value 'fastest'; valid: slo, concurrency, target, threshold, rps");
    assertThat(error("autoscale:\n  metric: cpu\n"))
        .isEqualTo("2: autoscale.metric: unknown value 'cpu'; valid: inflight, rps, p99_ms");
    assertThat(error("autoscale:\n  provider:\n    kind: ec2\n"))
        .isEqualTo("3: autoscale.provider.kind: unknown value 'ec2'; valid: process, static, kubernetes, docker");
    assertThat(error("autoscale:\n  provider:\n    command: [java, -jar, stc.jar, backend]\n"))
        .isEqualTo("3: autoscale.provider.command: must contain {port}, the port the instance is to listen on");
    assertThat(error("autoscale:\n  provider:\n    command: []\n")).isEqualTo("3: autoscale.provider.command: must not be empty");
    assertThat(error("autoscale:\n  utilization: 1.5\n"))
        .isEqualTo("2: autoscale.utilization: expected a number from 0.01 to 1, got 1.5");
    assertThat(error("autoscale:\n  target: 0\n")).isEqualTo("2: autoscale.target: expected a number > 0, got 0");
    assertThat(error("autoscale:\n  target: lots\n")).isEqualTo("2: autoscale.target: expected a number > 0, got 'lots'");
    assertThat(error("autoscale:\n  panic_threshold: 0.5\n"))
        .isEqualTo("2: autoscale.panic_threshold: expected a number >= 1, got 0.5");
    assertThat(error("autoscale:\n  enabled: true\n  min: 0\n")).isEqualTo(
        "3: autoscale.min: 0 needs the top-level max_inflight: its queue holds requests while the first instance starts");
    assertThat(load("max_inflight: 5\nautoscale:\n  enabled: true\n  min: 0\n").min()).isZero();
    assertThat(error("autoscale:\n  max_scale_down_rate: 1\n"))
        .isEqualTo("2: autoscale.max_scale_down_rate: expected a number above 1 (2 = at most halve per decision), got 1");
    assertThat(error("autoscale:\n  max_scale_down_rate: 0.5\n"))
        .isEqualTo("2: autoscale.max_scale_down_rate: expected a number >= 1, got 0.5");
    assertThat(error("autoscale:\n  panic_window: 90s\n"))
        .isEqualTo("2: autoscale.panic_window: panic_window (90000ms) must not be longer than stable_window (60000ms)");
    assertThat(error("autoscale:\n  threshold_down: 0.8\n"))
        .isEqualTo("2: autoscale.threshold_down: threshold_down (0.8) must be below threshold_up (0.7)");
    assertThat(error("autoscale:\n  rps_up: 4\n"))
        .isEqualTo("2: autoscale.rps_up: rps_down (5) must be below rps_up (4)");
    assertThat(error("autoscale:\n  interval: 0s\n")).isEqualTo("2: autoscale.interval: must be more than 0, got '0s'");
    assertThat(error("autoscale:\n  max_step_up: 0\n")).isEqualTo("2: autoscale.max_step_up: expected an integer from 1 to 1000, got 0");
  }
}
