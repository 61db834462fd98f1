package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.StcServer;
import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.config.ConfigLoader;
import io.stc.config.StcConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.testing.RawResponses;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateAndReloadTest {
  @TempDir Path dir;
  final List<DemoBackend> backends = new ArrayList<>();

  @BeforeEach
  void backends() {
    for (int i = 0; i < 4; i++) {
      backends.add(DemoBackend.started(BackendOptions.defaults().withName("b" + i)));
    }
  }

  @AfterEach
  void stop() {
    backends.forEach(DemoBackend::close);
  }

  String id(int i) {
    return "127.0.0.1:" + backends.get(i).port();
  }

  Path writeConfig(String algorithm, int... which) throws Exception {
    StringBuilder sb = new StringBuilder();
    sb.append("host: 127.0.0.1\nport: 0\nio_threads: 1\nalgorithm: ").append(algorithm).append('\n');
    sb.append("health: {interval: 200ms, timeout: 500ms}\n");
    sb.append("admin: {port: 0}\n");
    sb.append("state_dir: ").append(dir.resolve("state")).append('\n');
    sb.append("backends:\n");
    for (int i : which) {
      sb.append("  - {host: 127.0.0.1, port: ").append(backends.get(i).port()).append("}\n");
    }
    Path file = dir.resolve("stc.yaml");
    Files.writeString(file, sb.toString());
    return file;
  }

  StcServer start(Path file) throws Exception {
    StcServer s = new StcServer(ConfigLoader.load(file)).reloadFrom(() -> ConfigLoader.load(file));
    s.start();
    return s;
  }

  @Test
  void apiChangesSurviveARestart() throws Exception {
    Path file = writeConfig("round_robin", 0, 1, 2);
    StcServer first = start(file);
    try {
      AdminCalls api = new AdminCalls(first.adminPort());
      assertThat(api.post("/api/backends", "{\"host\":\"127.0.0.1\",\"port\":" + backends.get(3).port()
          + ",\"weight\":4,\"max_inflight\":6}").status()).isEqualTo(201);
      assertThat(api.delete("/api/backends/" + id(0)).status()).isEqualTo(202);
      assertThat(api.patch("/api/backends/" + id(1), "{\"weight\":9,\"max_inflight\":3}").status()).isEqualTo(200);
      assertThat(api.patch("/api/backends/" + id(2), "{\"state\":\"maint\"}").status()).isEqualTo(200);
      assertThat(api.put("/api/algorithm", "{\"algorithm\":\"least_connections\"}").status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> first.upstream().pool().find(id(0)) == null);
    } finally {
      first.close(Duration.ofSeconds(1));
    }
    assertThat(dir.resolve("state").resolve(StateFile.NAME)).exists();

    StcServer second = start(file);
    try {
      assertThat(second.upstream().pool().find(id(0))).isNull();
      assertThat(second.upstream().pool().find(id(1)).weight()).isEqualTo(9);
      assertThat(second.upstream().pool().find(id(2)).state()).isEqualTo(BackendState.MAINT);
      assertThat(second.upstream().pool().find(id(3)).weight()).isEqualTo(4);
      assertThat(second.upstream().pool().find(id(1)).maxInflight()).isEqualTo(3);
      assertThat(second.upstream().pool().find(id(3)).maxInflight()).isEqualTo(6);
      assertThat(second.control().controller().algorithm().configName()).isEqualTo("least_connections");
      // Maintenance holds through the health checks of a fresh start too.
      await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3))
          .until(() -> second.upstream().pool().find(id(2)).state() == BackendState.MAINT);
    } finally {
      second.close(Duration.ofSeconds(1));
    }
  }

  @Test
  void backupsSetThroughTheApiSurviveARestartAndAReloadMakesTheFileTheTruth() throws Exception {
    Path file = writeConfig("round_robin", 0, 1);
    StcServer first = start(file);
    try {
      AdminCalls api = new AdminCalls(first.adminPort());
      AdminCalls.Reply added =
          api.post("/api/backends", "{\"host\":\"127.0.0.1\",\"port\":" + backends.get(3).port() + ",\"backup\":true}");
      assertThat(added.status()).as(added.body()).isEqualTo(201);
      assertThat(added.json().path("backup").asBoolean()).isTrue();
      assertThat(api.patch("/api/backends/" + id(1), "{\"backup\":true}").status()).isEqualTo(200);
    } finally {
      first.close(Duration.ofSeconds(1));
    }

    StcServer second = start(file);
    try {
      assertThat(second.upstream().pool().find(id(0)).backup()).isFalse();
      assertThat(second.upstream().pool().find(id(1)).backup()).isTrue();
      assertThat(second.upstream().pool().find(id(3)).backup()).isTrue();
      // Backups are probed too, and serve until backend 0 passes its first check.
      await().atMost(Duration.ofSeconds(5)).until(() -> second.upstream().pool().find(id(1)).isAvailable()
          && List.of(second.upstream().pool().available()).equals(List.of(second.upstream().pool().find(id(0)))));

      // The file marks backend 0 a backup and says nothing of 1's: the file's word holds.
      String text = Files.readString(file).replace(
          "port: " + backends.get(0).port() + "}", "port: " + backends.get(0).port() + ", backup: true}");
      Files.writeString(file, text);
      AdminCalls.Reply r = new AdminCalls(second.adminPort()).post("/api/reload", null);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(second.upstream().pool().find(id(0)).backup()).isTrue();
      assertThat(second.upstream().pool().find(id(1)).backup()).isFalse();
      assertThat(second.upstream().pool().available()).extracting(Backend::id).containsExactly(id(1));
    } finally {
      second.close(Duration.ofSeconds(1));
    }
  }

  @Test
  void reloadAppliesAValidFileAndRejectsAnInvalidOne() throws Exception {
    Path file = writeConfig("round_robin", 0, 1);
    StcServer s = start(file);
    try {
      AdminCalls api = new AdminCalls(s.adminPort());
      writeConfig("random", 1, 2, 3);
      AdminCalls.Reply r = api.post("/api/reload", null);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().path("message").asText()).contains("2 backends added", "1 removed");
      await().atMost(Duration.ofSeconds(5)).until(() -> s.upstream().pool().find(id(0)) == null);
      assertThat(s.upstream().pool().all()).extracting(Backend::id).containsExactlyInAnyOrder(id(1), id(2), id(3));
      assertThat(s.control().controller().algorithm().configName()).isEqualTo("random");

      Files.writeString(file, "port: 0\nhealth:\n  interval: soon\n");
      AdminCalls.Reply bad = api.post("/api/reload", null);
      assertThat(bad.status()).isEqualTo(400);
      assertThat(bad.json().path("error").asText()).contains("stc.yaml:3").contains("health.interval");
      assertThat(s.upstream().pool().all()).hasSize(3);
      assertThat(s.control().controller().algorithm().configName()).isEqualTo("random");

      // SIGHUP takes the same path.
      writeConfig("round_robin", 1);
      s.reload();
      await().atMost(Duration.ofSeconds(5)).until(() -> s.upstream().pool().all().size() == 1);
      assertThat(s.control().controller().algorithm().configName()).isEqualTo("round_robin");
    } finally {
      s.close(Duration.ofSeconds(1));
    }
  }

  @Test
  void aReloadRemovesOnlyWhatTheFileOrTheApiAddedNotTheAutoscalersInstances() throws Exception {
    Path file = writeConfig("round_robin", 0);
    StcServer s = start(file);
    try {
      AdminCalls api = new AdminCalls(s.adminPort());
      assertThat(api.post("/api/backends", "{\"host\":\"127.0.0.1\",\"port\":" + backends.get(1).port() + "}").status())
          .isEqualTo(201);
      // As the autoscaler's admission adds an instance it started.
      s.upstream().add("auto-1", "127.0.0.1", backends.get(2).port(), 1, BackendState.UP);
      AdminCalls.Reply r = api.post("/api/reload", null);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().path("message").asText()).contains("0 backends added", "1 removed");
      await().atMost(Duration.ofSeconds(5)).until(() -> s.upstream().pool().find(id(1)) == null);
      assertThat(s.upstream().pool().all()).extracting(Backend::id).containsExactlyInAnyOrder(id(0), "auto-1");
    } finally {
      s.close(Duration.ofSeconds(1));
    }
  }

  @Test
  void aReloadAppliesTheDataPlanesSettingsFromTheNextRequestOnOpenConnectionsAndNamesWhatWaitsForARestart() throws Exception {
    Path file = writeConfig("round_robin", 0);
    StcServer s = start(file);
    try (Socket client = new Socket("127.0.0.1", s.port())) {
      client.setSoTimeout(10_000);
      byte[] get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      await().atMost(Duration.ofSeconds(5)).until(() -> s.upstream().pool().availableCount() == 1);
      client.getOutputStream().write(get);
      String before = RawResponses.next(client.getInputStream());
      assertThat(before).startsWith("HTTP/1.1 200").containsIgnoringCase("\r\nx-request-id: ");

      Files.writeString(file, Files.readString(file).replace("io_threads: 1", "io_threads: 2")
          + "request_id: {header: X-Trace-Id}\nrate_limit: {per: ip, rps: 0.001, burst: 1}\n");
      AdminCalls.Reply r = new AdminCalls(s.adminPort()).post("/api/reload", null);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().path("message").asText())
          .contains("applied rate_limit.per, rate_limit.rps, rate_limit.burst, request_id.header")
          .endsWith("; on restart only: io_threads");

      // The same connection: its next request goes by the new settings.
      client.getOutputStream().write(get);
      String after = RawResponses.next(client.getInputStream());
      assertThat(after).startsWith("HTTP/1.1 200").containsIgnoringCase("\r\nx-trace-id: ").doesNotContainIgnoringCase("x-request-id");
      client.getOutputStream().write(get);
      assertThat(RawResponses.next(client.getInputStream())).startsWith("HTTP/1.1 429");

      // Reloading the same file again changes nothing more, and says that io_threads still waits.
      AdminCalls.Reply again = new AdminCalls(s.adminPort()).post("/api/reload", null);
      assertThat(again.json().path("message").asText()).doesNotContain("applied").endsWith("; on restart only: io_threads");
    } finally {
      s.close(Duration.ofSeconds(1));
    }
  }

  @Test
  void reloadWithoutAConfigFileIsAConflict() throws Exception {
    StcServer s = new StcServer(StcConfig.defaults().withHost("127.0.0.1").withPort(0)
        .withAdmin(StcConfig.Admin.defaults().withPort(0)).withStateDir(dir.toString()));
    s.start();
    try {
      AdminCalls.Reply r = new AdminCalls(s.adminPort()).post("/api/reload", null);
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.json().path("error").asText()).contains("--config");
    } finally {
      s.close(Duration.ofSeconds(1));
    }
  }
}
