package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.backend.BackendOptions;
import io.stc.config.StcConfig;
import io.stc.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keep-alive idle timeout closes connections with nothing in progress, and only those. */
class ClientTimeoutsTest {

  private static StcConfig withIdle(StcConfig c, Duration idle) {
    StcConfig.Timeouts t = c.timeouts();
    return c.withTimeouts(t.withIdle(idle));
  }

  /** Reads one response with a Content-Length body and returns it whole. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int length = -1;
    int headEnd = -1;
    while (headEnd < 0 || out.size() < headEnd + length) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + out.toString(StandardCharsets.ISO_8859_1));
      }
      out.write(b);
      String s = out.toString(StandardCharsets.ISO_8859_1);
      if (headEnd < 0 && s.endsWith("\r\n\r\n")) {
        headEnd = s.length();
        String lower = s.toLowerCase();
        int at = lower.indexOf("content-length: ") + 16;
        length = Integer.parseInt(lower.substring(at, lower.indexOf('\r', at)));
      }
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> withIdle(cfg, Duration.ofMillis(300)));
        Socket s = new Socket("127.0.0.1", c.stc.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET /one HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200");
      // Kept alive at first: a second request on the same connection is served.
      s.getOutputStream().write("GET /two HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200");
      // Then nothing: the proxy closes it (read sees the end, well before the 10 s read timeout).
      assertThat(s.getInputStream().read()).isEqualTo(-1);
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().connections() == 0);
    }
  }

  @Test
  void anExchangeSlowerThanTheIdleTimeoutIsNotCutOff() throws Exception {
    List<BackendOptions> slow = List.of(BackendOptions.defaults().withName("slow").withDelay(1.0, 0));
    try (TestCluster c = TestCluster.of(slow, cfg -> withIdle(cfg, Duration.ofMillis(200)));
        Socket s = new Socket("127.0.0.1", c.stc.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200").contains("\"server\":\"slow\"");
    }
  }
}
