package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.TestCluster;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Clients that dribble or hoard connections, and backends that break the protocol. */
class SlowAndMisbehavingPeersTest {

  private static StcConfig withHeaderTimeout(StcConfig c, Duration header) {
    StcConfig.Timeouts t = c.timeouts();
    return c.withTimeouts(t.withHeader(header));
  }

  @Test
  void aRequestHeadDribbledSlowerThanTheHeaderTimeoutIsCutOff() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> withHeaderTimeout(cfg, Duration.ofMillis(300)));
        Socket s = new Socket("127.0.0.1", c.stc.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write("GET /slow HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // The head never completes; the proxy answers 408 and closes.
      String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(reply).startsWith("HTTP/1.1 408");
      assertThat(c.backends.get(0).requests()).isZero();
      assertThat(c.get("/fine").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void connectionsPastTheLimitAreAnswered503NotReset() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> cfg.withLimits(StcConfig.Limits.defaults().withConnections(2)));
        Socket a = new Socket("127.0.0.1", c.stc.port());
        Socket b = new Socket("127.0.0.1", c.stc.port())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().connections() == 2);
      // The request goes out before the answer is read: the client still gets the 503, not a reset.
      String answer = io.stc.testing.RawHttp.exchange(c.stc.port(), "GET /third HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(answer).startsWith("HTTP/1.1 503 ").contains("retry-after: 1").contains("connection: close")
          .contains("\"reason\":\"connection_limit\"");
      assertThat(c.stc.proxy().stats().refusedConnections()).isEqualTo(1);
      a.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().connections() == 1);
      assertThat(c.get("/room-again").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void anInvalidResponseIs502AndALongerThanAnnouncedOneIsNotReused() throws Exception {
    try (RawBackend garbage = new RawBackend(req -> "NOT HTTP AT ALL\r\n\r\n");
        RawBackend overlong = new RawBackend(req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA BYTES THAT ARE NOT A RESPONSE");
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {

      c.stc.upstream().add("garbage", "127.0.0.1", garbage.port(), 1, BackendState.UP);
      assertThat(c.get("/g").statusCode()).isEqualTo(502);
      c.stc.upstream().remove("garbage");

      c.stc.upstream().add("overlong", "127.0.0.1", overlong.port(), 1, BackendState.UP);
      var first = c.get("/o1");
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("ok");
      // The connection that carried extra bytes was thrown away: the next request gets a clean answer.
      var second = c.get("/o2");
      assertThat(second.statusCode()).isEqualTo(200);
      assertThat(second.body()).isEqualTo("ok");
    }
  }
  /**
   * A backend that answers before the request's body is in (an early 401 or 413): the client is
   * still uploading, and closing the connection at once, with its bytes unread, makes the kernel
   * reset it, which throws away the answer the client has not read yet (Apache HttpClient 5 failed
   * so through stc, not through nginx or HAProxy). stc stops writing and drains for a while instead.
   */
  @Test
  void anAnswerThatComesBeforeTheUploadEndsReachesAClientStillSending() throws Exception {
    try (RawBackend early = new RawBackend(req -> "HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope");
        TestCluster c = TestCluster.of(0, RawBackend::alone);
        Socket s = new Socket("127.0.0.1", c.stc.port())) {
      c.stc.upstream().add("early", "127.0.0.1", early.port(), 1, BackendState.UP);
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[64 * 1024];
      // Past what stc reads whole before it picks a backend (64 KiB): the backend sees the head and answers.
      out.write(chunk);
      out.write(chunk);
      await().atMost(Duration.ofSeconds(20)).until(() -> !early.received.isEmpty());
      await().atMost(Duration.ofSeconds(20)).until(() -> s.getInputStream().available() > 0);
      // The client goes on with its upload before it reads (as a client writing in one thread does).
      for (int i = 0; i < 16; i++) {
        out.write(chunk);
      }
      out.flush();
      StringBuilder answer = new StringBuilder();
      java.io.InputStream in = s.getInputStream();
      for (int b; !answer.toString().endsWith("\r\n\r\nnope") && (b = in.read()) >= 0; ) {
        answer.append((char) b);
      }
      assertThat(answer.toString()).startsWith("HTTP/1.1 401").endsWith("\r\n\r\nnope");
    }
  }
}
