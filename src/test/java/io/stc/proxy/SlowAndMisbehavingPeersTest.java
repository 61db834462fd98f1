package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.TestCluster;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Clients that dribble or hoard connections, and backends that break the protocol. */
class SlowAndMisbehavingPeersTest {

  private static StcConfig withHeaderTimeout(StcConfig c, Duration header) {
    StcConfig.Timeouts t = c.timeouts();
    return c.withTimeouts(new StcConfig.Timeouts(t.connect(), t.response(), t.idle(), header));
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
  void connectionsPastTheLimitAreRefused() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> cfg.withLimits(new StcConfig.Limits(8192, 8192, 100, 0, 2)));
        Socket a = new Socket("127.0.0.1", c.stc.port());
        Socket b = new Socket("127.0.0.1", c.stc.port())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().connections() == 2);
      try (Socket third = new Socket("127.0.0.1", c.stc.port())) {
        third.setSoTimeout(10_000);
        assertThat(third.getInputStream().read()).isEqualTo(-1);
      }
      assertThat(c.stc.proxy().stats().refusedConnections()).isEqualTo(1);
      a.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().connections() == 1);
      assertThat(c.get("/room-again").statusCode()).isEqualTo(200);
    }
  }

  /** A one-connection-at-a-time backend that answers every request with {@code reply(request)}. */
  private static CompletableFuture<Void> rawBackend(ServerSocket server, Function<String, String> reply) {
    return CompletableFuture.runAsync(() -> {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          InputStream in = s.getInputStream();
          byte[] buf = new byte[8192];
          int n = in.read(buf);
          if (n > 0) {
            s.getOutputStream().write(reply.apply(new String(buf, 0, n, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            // Hold the connection open, as a keep-alive server would, until the proxy closes it.
            s.setSoTimeout(5_000);
            while (in.read(buf) > 0) {
              // Anything more is ignored: one answer per connection.
            }
          }
        } catch (Exception e) {
          if (server.isClosed()) {
            return;
          }
        }
      }
    });
  }

  private static StcConfig onlyRawBackend(StcConfig c) {
    StcConfig.Health h = c.health();
    StcConfig.CircuitBreakerConfig b = c.circuitBreaker();
    return c.withHealth(new StcConfig.Health(false, h.path(), h.interval(), h.timeout(), h.rise(), h.fall()))
        .withRetries(0)
        .withCircuitBreaker(new StcConfig.CircuitBreakerConfig(false, b.failureThreshold(), b.openTime(),
            b.halfOpenRequests(), b.maxOpenTime(), b.count5xx(), b.maxEjectionPercent()));
  }

  @Test
  void anInvalidResponseIs502AndALongerThanAnnouncedOneIsNotReused() throws Exception {
    try (ServerSocket garbage = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ServerSocket overlong = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TestCluster c = TestCluster.of(0, SlowAndMisbehavingPeersTest::onlyRawBackend)) {
      CompletableFuture<Void> g = rawBackend(garbage, req -> "NOT HTTP AT ALL\r\n\r\n");
      CompletableFuture<Void> o = rawBackend(overlong, req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA BYTES THAT ARE NOT A RESPONSE");

      c.stc.upstream().add("garbage", "127.0.0.1", garbage.getLocalPort(), 1, BackendState.UP);
      assertThat(c.get("/g").statusCode()).isEqualTo(502);
      c.stc.upstream().remove("garbage");

      c.stc.upstream().add("overlong", "127.0.0.1", overlong.getLocalPort(), 1, BackendState.UP);
      var first = c.get("/o1");
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("ok");
      // The connection that carried extra bytes was thrown away: the next request gets a clean answer.
      var second = c.get("/o2");
      assertThat(second.statusCode()).isEqualTo(200);
      assertThat(second.body()).isEqualTo("ok");
      garbage.close();
      overlong.close();
      g.join();
      o.join();
    }
  }
}
