package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stc.testing.TestCluster;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsTest {
  static TestCluster cluster;
  static AdminCalls api;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.of(2);
    api = new AdminCalls(cluster.stc.adminPort());
    for (int i = 0; i < 10; i++) {
      assertThat(cluster.get("/m" + i).statusCode()).isEqualTo(200);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void exposesRequestsLatencyBackendsFailuresAndJvm() {
    AdminCalls.Reply r = api.get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    String m = r.body();
    String b0 = "backend=\"" + cluster.id(0) + "\"";
    assertThat(m).containsPattern("stc_requests_total\\{" + b0 + ",status_class=\"2xx\"} [1-9]");
    assertThat(m).contains("stc_request_duration_seconds_bucket{" + b0 + ",le=\"+Inf\"}");
    assertThat(m).contains("stc_request_duration_seconds_count{" + b0);
    assertThat(m).contains("stc_backend_up{" + b0 + "} 1.0");
    assertThat(m).contains("stc_backend_weight{" + b0 + "} 1.0");
    assertThat(m).contains("stc_backend_in_flight{" + b0 + "}");
    assertThat(m).contains("stc_backend_state{" + b0 + ",state=\"up\"} 1.0");
    assertThat(m).contains("stc_backend_health_check_ok{" + b0 + "} 1.0");
    assertThat(m).contains("stc_pool_size 2.0");
    assertThat(m).contains("stc_proxy_failures_total{reason=\"no_backend\"} 0.0");
    assertThat(m).contains("stc_algorithm{algorithm=\"round_robin\"} 1.0");
    assertThat(m).contains("jvm_memory_used_bytes").contains("process_cpu_usage").contains("process_uptime_seconds");
  }

  @Test
  void removedBackendsLeaveTheMetrics() throws Exception {
    var extra = io.stc.backend.DemoBackend.started(io.stc.backend.BackendOptions.defaults());
    try {
      String id = "127.0.0.1:" + extra.port();
      api.post("/api/backends", "{\"host\":\"127.0.0.1\",\"port\":" + extra.port() + "}");
      assertThat(api.get("/metrics").body()).contains("stc_backend_weight{backend=\"" + id + "\"}");
      api.delete("/api/backends/" + id);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
          .until(() -> !api.get("/metrics").body().contains("backend=\"" + id + "\""));
    } finally {
      extra.close();
    }
  }

  @Test
  void promtoolAcceptsTheOutput(@TempDir Path dir) throws Exception {
    String promtool = findPromtool();
    assumeTrue(promtool != null, "promtool not installed (Debian package prometheus)");
    Path file = dir.resolve("metrics.txt");
    Files.writeString(file, api.get("/metrics").body());
    Process p = new ProcessBuilder(promtool, "check", "metrics").redirectInput(file.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  @Test
  void theGrafanaDashboardUsesOnlyMetricsThatExist() throws Exception {
    String dashboard = Files.readString(Path.of("deploy/grafana-dashboard.json"));
    String metrics = api.get("/metrics").body();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b((?:stc|jvm|process|system)_[a-z_]+)\\{").matcher(dashboard);
    java.util.Set<String> names = new java.util.TreeSet<>();
    while (m.find()) {
      names.add(m.group(1));
    }
    assertThat(names).contains("stc_requests_total", "stc_request_duration_seconds_bucket", "stc_backend_up");
    for (String name : names) {
      assertThat(metrics).as(name).containsPattern("(?m)^" + name + "[{ ]");
    }
  }

  private static String findPromtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(dir, "promtool");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }
}
