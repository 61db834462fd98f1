package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.testing.StcProcess;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandIT {
  private static final long GIB = 1024L * 1024 * 1024;

  @Test
  void badConfigExitsWithCode2AndNamesTheLine(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("stc.yaml");
    Files.writeString(config, "port: 8080\nhealth:\n  interval: soon\n");
    try (StcProcess p = StcProcess.start("serve", "--config", config.toString())) {
      assertThat(p.awaitExit()).isEqualTo(2);
      assertThat(p.stderr()).contains("stc.yaml:3").contains("health.interval");
    }
  }

  @Test
  void aPortInUseNamesItsListenerAndNoBackendsIsAWarning() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      try (StcProcess p = StcProcess.start("serve", "--host", "127.0.0.1", "--port", String.valueOf(port), "--admin-port", "0")) {
        assertThat(p.awaitExit()).isEqualTo(1);
        assertThat(p.stderr()).contains("stc serve: cannot start: listener on 127.0.0.1:" + port + ": address already in use")
            .doesNotContain("bind(..)").doesNotContain("error(-98)");
        assertThat(p.stderr()).contains("stc serve: warning: no backends: every request is answered 503 until one is added");
      }
      try (StcProcess p = StcProcess.start("serve", "--port", "0", "--admin-port", String.valueOf(port), "--backend", "127.0.0.1:1")) {
        assertThat(p.awaitExit()).isEqualTo(1);
        assertThat(p.stderr()).contains("stc serve: cannot start: admin listener on 127.0.0.1:" + port + ": address already in use")
            .doesNotContain("warning: no backends");
      }
    }
  }

  @Test
  void aServiceWithoutAHealthRouteIsToldAboutAndServedOnceTheFlagNamesAPathItHas(@TempDir Path dir) throws Exception {
    // Like python -m http.server: 404 for /health, 200 for /.
    try (io.stc.testing.RawBackend service = new io.stc.testing.RawBackend(
        r -> r.startsWith("GET / ") ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
            : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        r -> r.contains("\r\n\r\n"), true)) {
      String backend = "127.0.0.1:" + service.port();
      try (StcProcess p = StcProcess.startIn(dir, "serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
          "--backend", backend)) {
        p.awaitListening();
        // The log, on stderr: the one line that says why every request is answered 503.
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stderr().contains("backend " + backend
            + " takes no requests until a health check passes: HTTP 404, expected 200-399; health.path (/health) must answer"));
        assertThat(p.stderr().split("takes no requests", -1)).as("said once").hasSize(2);
      }
      try (StcProcess p = StcProcess.startIn(dir, "serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
          "--backend", backend, "--health-path", "/")) {
        int port = p.awaitListening();
        HttpResponse<String> r = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hi");
      }
      try (StcProcess p = StcProcess.startIn(dir, "serve", "--port", "0", "--backend", backend, "--health-path", "no slash")) {
        assertThat(p.awaitExit()).isEqualTo(2);
        assertThat(p.stderr()).contains("--health-path: expected a path starting with '/'");
      }
    }
  }

  @Test
  void badFlagExitsWithCode2() throws Exception {
    try (StcProcess p = StcProcess.start("serve", "--backend", "127.0.0.1:notaport")) {
      assertThat(p.awaitExit()).isEqualTo(2);
      assertThat(p.stderr()).contains("notaport");
    }
    try (StcProcess p = StcProcess.start("serve", "--algorithm", "fastest")) {
      assertThat(p.awaitExit()).isEqualTo(2);
      assertThat(p.stderr()).contains("round_robin");
    }
  }

  @Test
  void withoutNativeTransportsAutoFallsBackToNioAndANamedOneRefusesToStart() throws Exception {
    List<String> noNative = List.of("-Dio.netty.transport.noNative=true");
    try (StcProcess stc = StcProcess.start(noNative,
        "serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0", "--transport", "io_uring")) {
      assertThat(stc.awaitExit()).isEqualTo(1);
      assertThat(stc.stderr()).contains("cannot start: transport io_uring is not available here");
    }
    try (StcProcess backend = StcProcess.start("backend", "--port", "0")) {
      int backendPort = backend.awaitListening();
      try (StcProcess stc = StcProcess.start(noNative,
          "serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0", "--backend", "127.0.0.1:" + backendPort)) {
        int port = stc.awaitListening();
        await().atMost(Duration.ofSeconds(10)).until(() -> stc.stderr().contains("event loops, nio)"));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        await().atMost(Duration.ofSeconds(30)).until(() ->
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/through-nio")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        assertThat(stc.terminate()).isZero();
      }
    }
  }

  @Test
  void streamsOneGibibyteEachWayWithASmallHeapAndStopsCleanly() throws Exception {
    try (StcProcess backend = StcProcess.start(List.of("-Xmx128m"), "backend", "--port", "0")) {
      int backendPort = backend.awaitListening();
      try (StcProcess stc =
          StcProcess.start(
              List.of("-Xmx128m"),
              "serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0", "--backend", "127.0.0.1:" + backendPort)) {
        int port = stc.awaitListening();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        // Ready once the backend passed its first probe (slow on a loaded machine).
        await().atMost(Duration.ofSeconds(30)).until(() ->
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() == 200);

        HttpResponse<InputStream> down =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/bytes/" + GIB)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(down.statusCode()).isEqualTo(200);
        long received = 0;
        try (InputStream in = down.body()) {
          byte[] buf = new byte[1 << 16];
          int n;
          while ((n = in.read(buf)) > 0) {
            received += n;
          }
        }
        assertThat(received).isEqualTo(GIB);

        HttpResponse<String> up =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/upload"))
                    .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> new ZeroStream(GIB)), GIB))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(up.body()).contains("\"received\":" + GIB);

        assertThat(stc.terminate()).isEqualTo(0);
      }
      assertThat(backend.terminate()).isEqualTo(0);
    }
  }

  /** {@code size} zero bytes, generated, never held in memory. */
  private static final class ZeroStream extends InputStream {
    private long left;

    ZeroStream(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      if (left == 0) {
        return -1;
      }
      left--;
      return 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      java.util.Arrays.fill(b, off, off + n, (byte) 0);
      left -= n;
      return n;
    }
  }

}
