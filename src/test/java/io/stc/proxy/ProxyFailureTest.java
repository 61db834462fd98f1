package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.StcServer;
import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.TestCluster;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ProxyFailureTest {

  private static StcConfig noHealth(StcConfig c) {
    StcConfig.Health h = c.health();
    return c.withHealth(new StcConfig.Health(false, h.path(), h.interval(), h.timeout(), h.rise(), h.fall()));
  }

  private static StcConfig noBreaker(StcConfig c) {
    StcConfig.CircuitBreakerConfig b = c.circuitBreaker();
    return c.withCircuitBreaker(new StcConfig.CircuitBreakerConfig(
        false, b.failureThreshold(), b.openTime(), b.halfOpenRequests(), b.maxOpenTime(), b.count5xx(), b.maxEjectionPercent()));
  }

  @Test
  void errorPagesNameExactlyTheStatusesStcAnswersWith() {
    java.util.Set<Integer> statuses = new java.util.HashSet<>();
    for (ProxyFailure f : ProxyFailure.values()) {
      statuses.add(f.status().code());
    }
    assertThat(io.stc.config.ErrorPages.STATUSES).isEqualTo(statuses);
  }

  @Test
  void noBackendIs503WithRetryAfter() throws Exception {
    try (TestCluster cluster = TestCluster.of(0)) {
      HttpResponse<String> r = cluster.get("/");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("Retry-After")).contains("1");
      assertThat(r.body()).contains("\"reason\":\"no_backend\"");
    }
  }

  @Test
  void anAnswerToAHeadCarriesNoBodySoTheNextResponseOnTheConnectionIsReadRight() throws Exception {
    try (TestCluster cluster = TestCluster.of(0);
        Socket s = new Socket("127.0.0.1", cluster.stc.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      byte[] all = s.getInputStream().readAllBytes();
      io.stc.testing.StrictResponses.Result r = io.stc.testing.StrictResponses.parse(all, List.of(true, false));
      assertThat(r.violation()).isNull();
      assertThat(r.responses()).hasSize(2);
      assertThat(r.responses().get(0).status()).isEqualTo(503);
      // The length a GET's answer would have, as RFC 9110 allows, and no body.
      assertThat(r.responses().get(0).field("content-length")).isNotEqualTo("0");
      assertThat(r.responses().get(1).status()).isEqualTo(503);
      assertThat(r.responses().get(1).bodyText()).contains("\"reason\":\"no_backend\"");
    }
  }

  @Test
  void refusedConnectionsAreRetriedOnAnotherBackend() throws Exception {
    // A port bound but not listening refuses connections, and stays ours while the test runs (a
    // port found free and let go was once given to one of the cluster's own backends next).
    try (Socket dead = new Socket();
        TestCluster cluster = TestCluster.of(2, ProxyFailureTest::noHealth)) {
      dead.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int deadPort = dead.getLocalPort();
      cluster.stc.upstream().add("127.0.0.1:" + deadPort, "127.0.0.1", deadPort, 1, BackendState.UP);
      for (int i = 0; i < 30; i++) {
        HttpResponse<String> r =
            cluster.http.send(
                HttpRequest.newBuilder(cluster.uri("/p")).POST(HttpRequest.BodyPublishers.ofString("body")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
      }
      assertThat(cluster.stc.proxy().stats().retries()).isPositive();
      assertThat(cluster.stc.proxy().stats().failures(ProxyFailure.CONNECT_FAILED)).isPositive();
    }
  }

  @Test
  void slowBackendGets504() throws Exception {
    try (TestCluster cluster =
        TestCluster.of(1, c -> c.withTimeouts(StcConfig.Timeouts.defaults().withResponse(Duration.ofMillis(300))))) {
      HttpResponse<String> r = cluster.get("/slow?delay=5");
      assertThat(r.statusCode()).isEqualTo(504);
      assertThat(r.body()).contains("response_timeout");
      assertThat(cluster.get("/fast").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void backendThatDropsConnectionsGetsIdempotentRequestsRetriedButNotPosts() throws Exception {
    try (ServerSocket dropper = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TestCluster cluster = TestCluster.of(1, c -> noBreaker(noHealth(c)).withAlgorithm("round_robin"))) {
      AtomicInteger dropped = new AtomicInteger();
      CompletableFuture<Void> loop =
          CompletableFuture.runAsync(() -> {
            while (!dropper.isClosed()) {
              try (Socket s = dropper.accept()) {
                InputStream in = s.getInputStream();
                in.read(new byte[4096]);
                dropped.incrementAndGet();
              } catch (Exception e) {
                return;
              }
            }
          });
      int port = dropper.getLocalPort();
      cluster.stc.upstream().add("127.0.0.1:" + port, "127.0.0.1", port, 1, BackendState.UP);
      for (int i = 0; i < 10; i++) {
        assertThat(cluster.get("/g").statusCode()).isEqualTo(200);
      }
      // A POST that reached the dropping backend is not replayed: it may have had effects there.
      List<Integer> postStatuses = new java.util.ArrayList<>();
      for (int i = 0; i < 10; i++) {
        postStatuses.add(
            cluster.http.send(
                HttpRequest.newBuilder(cluster.uri("/p")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
      }
      assertThat(postStatuses).contains(502).contains(200).containsOnly(200, 502);
      assertThat(dropped.get()).isPositive();
      dropper.close();
      loop.join();
    }
  }

  @Test
  void gracefulShutdownFinishesInFlightRequests() throws Exception {
    TestCluster cluster = TestCluster.of(1);
    try {
      CompletableFuture<HttpResponse<String>> slow =
          cluster.http.sendAsync(HttpRequest.newBuilder(cluster.uri("/slow?delay=1")).build(), HttpResponse.BodyHandlers.ofString());
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.proxy().stats().active() == 1);
      StcServer stc = cluster.stc;
      CompletableFuture<Void> stopping =
          CompletableFuture.runAsync(() -> {
            try {
              stc.close(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
              throw new RuntimeException(e);
            }
          });
      assertThat(slow.get().statusCode()).isEqualTo(200);
      stopping.get();
    } finally {
      cluster.backends.forEach(b -> b.close());
    }
  }
}
