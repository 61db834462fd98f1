package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.testing.StcProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stc serve} with autoscaling as its own process: its instances never outlive it for long. */
class ServeWithAutoscaleIT {
  @TempDir Path dir;
  private final List<ProcessHandle> instances = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    instances.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  private Path config() throws IOException {
    // No command: the default runs this stc's own demo backend.
    return Files.writeString(dir.resolve("stc.yaml"), """
        host: 127.0.0.1
        port: 0
        health: {interval: 200ms, timeout: 500ms}
        autoscale:
          enabled: true
          min: 2
          provider: {log_dir: "%s"}
        """.formatted(dir.resolve("instances")));
  }

  /** The instances' processes, from their pid files. */
  private List<ProcessHandle> running() throws IOException {
    List<ProcessHandle> found = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir.resolve("instances"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
        long pid = Long.parseLong(Files.readString(f).trim().split(" ")[0]);
        ProcessHandle.of(pid).ifPresent(found::add);
      }
    }
    instances.addAll(found);
    return found;
  }

  private Set<String> servedBy(int port) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> r = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/x")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      names.add(r.headers().firstValue("X-Served-By").orElseThrow());
    }
    return names;
  }

  @Test
  void sigtermStopsEveryInstance() throws Exception {
    try (StcProcess stc = StcProcess.start("serve", "--config", config().toString())) {
      int port = stc.awaitListening();
      assertThat(servedBy(port)).containsExactlyInAnyOrder("auto-1", "auto-2");
      List<ProcessHandle> children = running();
      assertThat(children).hasSize(2).allMatch(ProcessHandle::isAlive);

      assertThat(stc.terminate()).isZero();
      assertThat(children).noneMatch(ProcessHandle::isAlive);
      assertThat(running()).isEmpty();
      assertThat(stc.stderr()).doesNotContain("Exception");
    }
  }

  @Test
  void instancesLeftBySigkilledStcAreStoppedByTheNextOne() throws Exception {
    List<ProcessHandle> orphans;
    try (StcProcess stc = StcProcess.start("serve", "--config", config().toString())) {
      stc.awaitListening();
      orphans = running();
      assertThat(orphans).hasSize(2);
    } // close() is SIGKILL: no shutdown hook runs.
    // The known limitation: the instances outlive a SIGKILLed stc...
    assertThat(orphans).allMatch(ProcessHandle::isAlive);

    // ...until the next stc with the same log_dir starts and ends them.
    try (StcProcess next = StcProcess.start("serve", "--config", config().toString())) {
      int port = next.awaitListening();
      assertThat(orphans).noneMatch(ProcessHandle::isAlive);
      assertThat(servedBy(port)).hasSize(2);
      assertThat(running()).hasSize(2).doesNotContainAnyElementsOf(orphans);
      assertThat(next.terminate()).isZero();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> running().isEmpty());
  }
}
