package io.stc.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.admin.AccessLog;
import io.stc.admin.RequestRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Access logs as servers write them, replayed as the rate of their requests per second. */
class AccessLogTraceTest {
  @TempDir Path dir;

  private RateTrace read(String text) throws IOException {
    return RateTrace.read(Files.writeString(dir.resolve("access.log"), text), 1, 0, null);
  }

  private static void assertRates(RateTrace t, double... perSecond) {
    assertThat(t.durationSeconds()).isEqualTo(perSecond.length);
    for (int i = 0; i < perSecond.length; i++) {
      assertThat(t.rate(i + 0.5)).as("second %d", i).isEqualTo(perSecond[i]);
    }
  }

  @Test
  void nginxCombinedLinesAreCountedPerSecondAndASilentSecondIsZero() throws IOException {
    String ua = "\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36, like Gecko\"";
    RateTrace t = read(String.join("\n",
        "203.0.113.9 - - [08/Dec/2026:10:00:00 +0100] \"GET / HTTP/1.1\" 200 612 \"-\" " + ua,
        "203.0.113.9 - alice [08/Dec/2026:10:00:00 +0100] \"GET /a?x=1#frag HTTP/1.1\" 200 612 \"-\" " + ua,
        "198.51.100.2 - - [08/Dec/2026:10:00:01 +0100] \"POST /b HTTP/2.0\" 201 0 \"https://shop.example/\" " + ua,
        // Written a little out of order, as a server's workers do.
        "198.51.100.2 - - [08/Dec/2026:10:00:00 +0100] \"GET /c HTTP/1.1\" 304 0 \"-\" \"curl/8\"",
        "198.51.100.2 - - [08/Dec/2026:10:00:03 +0100] \"GET /d HTTP/1.1\" 200 5 \"-\" \"curl/8\"",
        ""));
    assertRates(t, 3, 1, 0, 1);
    assertThat(t.describe()).isEqualTo("trace access.log, an access log of 5 requests");
  }

  @Test
  void haproxyEnvoyTraefikAndCaddyLinesAreRead() throws IOException {
    // HAProxy's HTTP log, through syslog: milliseconds, and the server's local time with no zone.
    assertRates(read("""
        Dec  8 10:00:00 lb haproxy[1234]: 10.0.0.1:51234 [08/Dec/2026:10:00:00.655] web app/s1 0/0/1/2/3 200 512 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"
        Dec  8 10:00:00 lb haproxy[1234]: 10.0.0.1:51235 [08/Dec/2026:10:00:01.002] web app/s1 0/0/1/2/3 200 512 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"
        Dec  8 10:00:01 lb haproxy[1234]: Server app/s2 is DOWN, reason: Layer4 connection problem
        """), 1, 1);
    // Envoy's default format.
    assertRates(read("""
        [2026-12-08T10:00:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0" "locations" "tcp://10.0.2.1:80"
        [2026-12-08T10:00:02.001Z] "GET / HTTP/1.1" 200 - 0 5 1 1 "-" "curl" "x" "h" "tcp://10.0.2.1:80"
        """), 1, 0, 1);
    // Traefik's JSON access log, and Caddy's (seconds since the epoch, with a fraction).
    assertRates(read("""
        {"ClientHost":"10.0.0.1","DownstreamStatus":200,"RequestPath":"/","StartUTC":"2026-12-08T10:00:00.123456789Z"}
        {"ClientHost":"10.0.0.1","DownstreamStatus":200,"RequestPath":"/","StartUTC":"2026-12-08T10:00:01.5Z"}
        """), 1, 1);
    assertRates(read("""
        {"level":"info","ts":1796724000.25,"logger":"http.log.access","msg":"handled request","status":200}
        {"level":"info","ts":1796724000.75,"logger":"http.log.access","msg":"handled request","status":200}
        {"level":"info","ts":1796724001.5,"logger":"http.log.access","msg":"handled request","status":200}
        """), 2, 1);
    // Milliseconds since the epoch, and nginx's escape=json with $time_iso8601.
    assertRates(read("{\"ts\":1796724000250}\n{\"ts\":1796724001000}\n"), 1, 1);
    assertRates(read("{\"time_iso8601\":\"2026-12-08T10:00:00+01:00\",\"status\":\"200\"}\n"
        + "{\"time_iso8601\":\"2026-12-08T10:00:00+01:00\",\"status\":\"200\"}\n"), 2);
  }

  @Test
  void stcsOwnLogsInBothFormatsReplayAsTheyWereServed() throws Exception {
    Path combined = dir.resolve("combined.log");
    Path json = dir.resolve("json.log");
    AccessLog c = AccessLog.open(combined.toString(), "combined");
    AccessLog j = AccessLog.open(json.toString(), "json");
    long start = 1_796_724_000_000L;
    int[] perSecond = {4, 0, 2, 7};
    for (int s = 0; s < perSecond.length; s++) {
      for (int i = 0; i < perSecond[s]; i++) {
        RequestRecord r = new RequestRecord(start + s * 1000L + i * 100L, "GET", "/s" + s, "10.0.0.1", "127.0.0.1:3001", 200,
            1_500_000, "HTTP/1.1", "shop.example", null, "curl/8", 5, null, "id" + i, 1, null);
        c.offer(r);
        j.offer(r);
      }
    }
    c.close();
    j.close();
    assertRates(RateTrace.read(combined, 1, 0, null), 4, 0, 2, 7);
    assertRates(RateTrace.read(json, 1, 0, null), 4, 0, 2, 7);
  }

  @Test
  void linesWithoutATimeAreSkippedAndSaid() throws IOException {
    RateTrace t = read("""
        10.0.0.1 - - [08/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"
        nginx: [warn] could not build optimal types_hash
        10.0.0.1 - - [08/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"
        {"msg":"no time here"}
        """);
    assertRates(t, 2);
    assertThat(t.describe()).isEqualTo("trace access.log, an access log of 2 requests; 2 lines without a time skipped, the first at line 2");
  }

  @Test
  void bytesThatAreNotUtf8DoNotStopIt() throws IOException {
    byte[] line = "10.0.0.1 - - [08/Dec/2026:10:00:00 +0000] \"GET /\\xff HTTP/1.1\" 200 1 \"-\" \"\u00e9\"\n"
        .getBytes(StandardCharsets.ISO_8859_1);
    Path log = Files.write(dir.resolve("latin1.log"), line);
    assertRates(RateTrace.read(log, 1, 0, null), 1);
  }

  @Test
  void badTimesAreNamedByFileAndLine() {
    assertThatThrownBy(() -> read("""
        10.0.0.1 - - [08/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1
        10.0.0.1 - - [31/Foo/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1
        """)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("access.log:2: expected a time such as [10/Oct/2026:13:55:36 +0000], got '[31/Foo/2026:10:00:00 +0000]'");
    assertThatThrownBy(() -> read("{\"time\":\"2026-12-08T10:00:00Z\"}\n{\"time\": \"yesterday\"}\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("access.log:2: time: expected a date-time such as 2026-10-10T13:55:36Z, got 'yesterday'");
    assertThatThrownBy(() -> read("{\"time\":\"2026-12-08T10:00:00Z\"}\n{\"time\": \n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("access.log:2: a line that starts as JSON but is not");
    assertThatThrownBy(() -> read("{\"status\":200}\n"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--trace: access.log holds no request with a time");
    assertThatThrownBy(() -> read("""
        10.0.0.1 - - [08/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1
        10.0.0.1 - - [08/Dec/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1
        """)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("access.log:2: a request more than an hour before the log's first line");
    assertThatThrownBy(() -> read("""
        10.0.0.1 - - [08/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1
        10.0.0.1 - - [08/Dec/2027:10:00:00 +0000] "GET / HTTP/1.1" 200 1
        """)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("access.log:2: the log spans more than 1209600 seconds (two weeks)");
  }

  @Test
  void aRateFileIsStillOneEvenWithBracketsInItsComments() throws IOException {
    RateTrace t = read("# exported [08/Dec/2026:10:00:00 +0000]\nseconds,rate\n0,10\n5,20\n");
    assertThat(t.rate(1)).isEqualTo(10);
    assertThat(t.rate(6)).isEqualTo(20);
  }
}
