package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.pool.BackendProtocol;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestClient;
import io.stc.testing.Http2TestServer;
import io.stc.testing.RawBackend;
import io.stc.testing.SlowHttp2Client;
import io.stc.testing.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The streams of stc's HTTP/2 connections to backends: flow control end to end, and the backend's limit on streams at once. */
class Http2BackendStreamsTest {
  private static final int BODY = 8 * 1024 * 1024;
  /** Far more than the windows on the way (the client's 64 KiB, stc's 64 KiB for the stream), far less than the body. */
  private static final int BOUND = 1024 * 1024;

  @Test
  void aClientThatDoesNotReadStopsTheBackendsStreamAndThenGetsEveryByte() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(100);
        TestCluster c = TestCluster.of(0, RawBackend::alone);
        SlowHttp2Client client = new SlowHttp2Client(c.stc.port())) {
      backend.bodySize(BODY);
      c.stc.upstream().add("h2c", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      client.get("/big");
      // The client's window's worth arrives; then it reads no more, and neither may stc from the
      // backend: the backend's stream window is not given back while the response cannot go on.
      await().atMost(Duration.ofSeconds(30)).until(() -> client.received.get() >= 65_535);
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30))
          .until(() -> backend.responseBytesSent.get() < BOUND);
      assertThat(backend.responseBytesSent.get()).isLessThan(BOUND);
      client.resume();
      assertThat(client.done.get(60, TimeUnit.SECONDS)).isEqualTo(BODY);
      // The backend counts a frame once its write has completed, which may be after stc passed it on.
      await().atMost(Duration.ofSeconds(30)).until(() -> backend.responseBytesSent.get() == BODY);
    }
  }

  @Test
  void responseHeadsOfStreamsThatFollowEachOtherOnAConnectionNeverMix() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(100);
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      c.stc.upstream().add("h2c", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      try (Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
        for (int round = 0; round < 5; round++) {
          // Paths of different lengths, so a field left over from an earlier response would show.
          List<CompletableFuture<Http2TestClient.Response>> many = new ArrayList<>();
          for (int i = 0; i < 30; i++) {
            many.add(h2.send("GET", "/r" + round + "/" + "p".repeat(i % 7) + i, null, null));
          }
          for (int i = 0; i < many.size(); i++) {
            String path = "/r" + round + "/" + "p".repeat(i % 7) + i;
            Http2TestClient.Response r = many.get(i).get(30, TimeUnit.SECONDS);
            assertThat(r.headers().get("x-request-path").toString()).isEqualTo(path);
            assertThat(r.headers().getAll("x-request-path")).hasSize(1);
            assertThat(r.bodyText()).isEqualTo(path + " 0");
          }
        }
        // And through an HTTP/1.1 client, whose heads are written as text.
        for (int i = 0; i < 20; i++) {
          var r = c.get("/one" + "q".repeat(i));
          assertThat(r.headers().allValues("x-request-path")).containsExactly("/one" + "q".repeat(i));
        }
      }
    }
  }

  @Test
  void streamsBeyondTheBackendsSmallLimitWaitOrGoOnMoreConnectionsAndAllSucceed() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(3);
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      // Each answer takes a while, so the streams are all open at once.
      backend.answerAfter(30);
      c.stc.upstream().add("h2c", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      try (Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
        List<CompletableFuture<Http2TestClient.Response>> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          many.add(h2.send("GET", "/s" + i, null, null));
        }
        for (int i = 0; i < many.size(); i++) {
          Http2TestClient.Response r = many.get(i).get(30, TimeUnit.SECONDS);
          assertThat(r.status()).isEqualTo(200);
          assertThat(r.bodyText()).isEqualTo("/s" + i + " 0");
        }
      }
      assertThat(backend.requests).hasSize(40);
      assertThat(backend.peakStreamsPerConnection.get()).isBetween(1, 3);
      assertThat(backend.connections()).isGreaterThan(1);
      // A stream past the backend's limit is refused (RST_STREAM REFUSED_STREAM) and would have had to go again.
      assertThat(c.stc.proxy().stats().retries()).isZero();
    }
  }
}
