package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {
  @TempDir Path dir;

  static RequestRecord record(int i) {
    return new RequestRecord(1_700_000_000_000L, "GET", "/p" + i, "10.0.0.1", "127.0.0.1:3001", 200, 1_500_000,
        "HTTP/1.1", "example.com", null, "curl/8.0", 1234, null, "0af7651916cd43dd8448eb211c80319c", 1 + i % 2, null);
  }

  @Test
  void combinedFormat() throws Exception {
    Path file = dir.resolve("access.log");
    try (AccessLog log = AccessLog.open(file.toString(), "combined")) {
      log.offer(record(1));
      await().atMost(Duration.ofSeconds(5)).until(() -> log.written() == 1);
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).matches(
        "10\\.0\\.0\\.1 - - \\[\\d\\d/\\w{3}/2023:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}] \"GET /p1 HTTP/1\\.1\" 200 1234 \"-\" \"curl/8\\.0\" backend=127\\.0\\.0\\.1:3001 ms=1\\.500 failure=- request_id=0af7651916cd43dd8448eb211c80319c attempts=2");
  }

  @Test
  void jsonFormatAppends() throws Exception {
    Path file = dir.resolve("access.json");
    Files.writeString(file, "earlier\n");
    try (AccessLog log = AccessLog.open(file.toString(), "json")) {
      for (int i = 0; i < 100; i++) {
        log.offer(record(i));
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> log.written() == 100);
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(101);
    JsonNode j = AdminCalls.MAPPER.readTree(lines.get(100));
    assertThat(j.path("path").asText()).isEqualTo("/p99");
    assertThat(j.path("status").asInt()).isEqualTo(200);
    assertThat(j.path("latency_ms").asDouble()).isEqualTo(1.5);
    assertThat(j.path("backend").asText()).isEqualTo("127.0.0.1:3001");
    assertThat(j.path("protocol").asText()).isEqualTo("HTTP/1.1");
    assertThat(j.path("host").asText()).isEqualTo("example.com");
    assertThat(j.path("bytes").asLong()).isEqualTo(1234);
    assertThat(j.path("user_agent").asText()).isEqualTo("curl/8.0");
    assertThat(j.get("referer").isNull()).isTrue();
    assertThat(j.get("failure").isNull()).isTrue();
    assertThat(j.path("request_id").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    assertThat(j.path("attempts").asInt()).isEqualTo(2);
  }

  @Test
  void aClientCannotForgeALineOrEndAFieldWithWhatItSends() {
    StringBuilder sb = new StringBuilder();
    AccessLog.escaped(sb, "a\"b\\c\r\nd\u00e9\u20ac");
    assertThat(sb.toString()).isEqualTo("a\\x22b\\x5cc\\x0d\\x0ad\\xe9\\xe2\\x82\\xac");
  }

  @Test
  void aClientThatWentAwayIsLoggedAs499AsNginxDoes() {
    assertThat(AccessLog.loggedStatus(0)).isEqualTo(499);
    assertThat(AccessLog.loggedStatus(502)).isEqualTo(502);
  }

  @Test
  void aFileRotatedAwayIsFollowedWithoutASignalAndNothingIsLost() throws Exception {
    Path file = dir.resolve("access.log");
    Path rotated = dir.resolve("access.log.1");
    try (AccessLog log = AccessLog.open(file.toString(), "combined")) {
      log.offer(record(1));
      await().atMost(Duration.ofSeconds(5)).until(() -> log.written() == 1);
      // logrotate's default: the file moved away, then (with "create") a new one made in its place.
      Files.move(file, rotated);
      log.offer(record(2));
      await().atMost(Duration.ofSeconds(5)).until(() -> log.written() == 2);
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        log.offer(record(3));
        return Files.exists(file) && Files.readString(file).contains("GET /p3 ");
      });
      Files.move(file, dir.resolve("access.log.2"));
      Files.writeString(file, "");
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        log.offer(record(4));
        return Files.readString(file).contains("GET /p4 ");
      });
    }
    // Every line is in one of the files, none twice, and the first two in the file they were written to.
    List<String> all = new java.util.ArrayList<>(Files.readAllLines(rotated));
    all.addAll(Files.readAllLines(dir.resolve("access.log.2")));
    all.addAll(Files.readAllLines(file));
    assertThat(Files.readAllLines(rotated).get(0)).contains("GET /p1 ");
    assertThat(all).filteredOn(l -> l.contains("GET /p1 ")).hasSize(1);
    assertThat(all).filteredOn(l -> l.contains("GET /p2 ")).hasSize(1);
    assertThat(Files.readString(file)).contains("GET /p4 ");
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
    Path file = dir.resolve("full.log");
    try (AccessLog log = AccessLog.open(file.toString(), "json")) {
      int offered = AccessLog.CAPACITY * 3;
      for (int i = 0; i < offered; i++) {
        log.offer(record(i));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> log.written() + log.dropped() == offered);
      assertThat(log.dropped()).isPositive();
    }
  }
}
