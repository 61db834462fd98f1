package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.config.StcConfig;
import io.stc.testing.Http2TestClient;
import io.stc.testing.RawHttp;
import io.stc.testing.TestCluster;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The access log as a real proxy writes it: what nginx's combined format holds, from HTTP/1.1 and HTTP/2 clients alike. */
class AccessLogThroughProxyTest {
  @TempDir Path dir;

  @Test
  void eachRequestIsLoggedWithItsProtocolSizeRefererAgentAndWhatWentWrong() throws Exception {
    Path file = dir.resolve("access.log");
    try (TestCluster cluster = TestCluster.of(1, c -> c.withAccessLog(new StcConfig.AccessLog(file.toString(), "combined")))) {
      int port = cluster.stc.port();
      String ok = RawHttp.exchange(port, "GET /bytes/100 HTTP/1.1\r\nHost: shop.example\r\n"
          + "User-Agent: a \"quoted\" \\agent\r\nReferer: https://a.example/x\r\nConnection: close\r\n\r\n");
      assertThat(ok).startsWith("HTTP/1.1 200");
      try (Http2TestClient h2 = new Http2TestClient(port)) {
        assertThat(h2.get("/bytes/10").status()).isEqualTo(200);
      }
      String smuggle = RawHttp.exchange(port, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
      assertThat(smuggle).startsWith("HTTP/1.1 400");
      // A client that goes away while the backend still works on its request.
      try (Socket s = new Socket("127.0.0.1", port)) {
        s.getOutputStream().write("GET /slow?delay=5 HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.backend(0).stats().inFlight() == 1);
      }

      await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(file).size() == 4);
      List<String> lines = Files.readAllLines(file);
      String date = "\\[\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}]";
      String backend = "backend=" + cluster.id(0).replace(".", "\\.") + " ms=\\d+\\.\\d{3}";
      assertThat(lines.get(0)).matches("127\\.0\\.0\\.1 - - " + date + " \"GET /bytes/100 HTTP/1\\.1\" 200 100 "
          + "\"https://a\\.example/x\" \"a \\\\x22quoted\\\\x22 \\\\x5cagent\" " + backend + " failure=- request_id=[0-9a-f]{32} attempts=1");
      assertThat(lines.get(1)).matches("127\\.0\\.0\\.1 - - " + date + " \"GET /bytes/10 HTTP/2\\.0\" 200 10 \"-\" \"-\" "
          + backend + " failure=- request_id=[0-9a-f]{32} attempts=1");
      assertThat(lines.get(2)).matches("127\\.0\\.0\\.1 - - " + date + " \"- - HTTP/1\\.1\" 400 \\d+ \"-\" \"-\" "
          + "backend=- ms=\\d+\\.\\d{3} failure=bad_request request_id=[0-9a-f]{32} attempts=0");
      assertThat(lines.get(3)).matches("127\\.0\\.0\\.1 - - " + date + " \"GET /slow\\?delay=5 HTTP/1\\.1\" 499 0 \"-\" \"-\" "
          + backend + " failure=- request_id=[0-9a-f]{32} attempts=1");
    }
  }
}
