package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.testing.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WebSocketTest {

  /** Collects text messages and the close code. */
  static final class Collector implements WebSocket.Listener {
    final List<String> messages = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      messages.add(data.toString());
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }
  }

  @Test
  void drainingABackendClosesItsWebSocketsPolitely() throws Exception {
    try (TestCluster c = TestCluster.of(1)) {
      Collector collector = new Collector();
      WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
          .buildAsync(URI.create("ws://127.0.0.1:" + c.stc.port() + "/ws"), collector)
          .get(20, TimeUnit.SECONDS);
      ws.sendText("before", true).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.messages.contains("before"));
      c.stc.upstream().setState(c.backend(0), io.stc.pool.BackendState.DRAINING, "test drain");
      assertThat(collector.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
      await().atMost(Duration.ofSeconds(10)).until(() -> c.backend(0).stats().inFlight() == 0);
    }
  }

  @Test
  void webSocketsAreRelayedCountedInFlightAndClosedPolitelyOnShutdown() throws Exception {
    TestCluster c = TestCluster.of(1);
    try {
      Collector collector = new Collector();
      WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
          .buildAsync(URI.create("ws://127.0.0.1:" + c.stc.port() + "/ws"), collector)
          .get(20, TimeUnit.SECONDS);
      ws.sendText("hello", true).get(10, TimeUnit.SECONDS);
      ws.sendText("x".repeat(100_000), true).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).alias("messages " + collector.messages).until(() -> String.join("", collector.messages).length() == 100_005);
      assertThat(collector.messages.get(0)).isEqualTo("hello");
      assertThat(String.join("", collector.messages.subList(1, collector.messages.size()))).hasSize(100_000);
      // An open WebSocket is a request in flight on its backend.
      assertThat(c.backend(0).stats().inFlight()).isEqualTo(1);
      // Plain HTTP keeps working beside it.
      assertThat(c.get("/plain").statusCode()).isEqualTo(200);

      c.stc.close(Duration.ofSeconds(5));
      assertThat(collector.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
    } finally {
      c.backends.forEach(b -> b.close());
    }
  }

  @Test
  void aWebSocketOnWhichNothingGoesEitherWayIsClosedAfterStreamIdleAndOnlyThen() throws Exception {
    java.util.concurrent.ScheduledExecutorService pacer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try (TestCluster c = TestCluster.of(1, cfg -> cfg.withTimeouts(cfg.timeouts().withStreamIdle(Duration.ofMillis(500))))) {
      Collector collector = new Collector();
      WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
          .buildAsync(URI.create("ws://127.0.0.1:" + c.stc.port() + "/ws"), collector)
          .get(20, TimeUnit.SECONDS);
      // A message every 200 ms for 1.6 s: the tunnel lives past the limit while something goes.
      java.util.concurrent.atomic.AtomicInteger said = new java.util.concurrent.atomic.AtomicInteger();
      pacer.scheduleAtFixedRate(() -> {
        int i = said.getAndIncrement();
        if (i >= 8) {
          throw new IllegalStateException("done"); // ends this schedule
        }
        ws.sendText("m" + i, true).join();
      }, 0, 200, TimeUnit.MILLISECONDS);
      // Then nothing either way: closed politely, and its backend's place freed; not before every
      // echo came back, 1.4 s after the first, far past the limit.
      assertThat(collector.closed.get(20, TimeUnit.SECONDS)).isEqualTo(1001);
      assertThat(collector.messages).hasSize(8);
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.STREAM_IDLE)).isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> c.backend(0).stats().inFlight() == 0);
    } finally {
      pacer.shutdownNow();
    }
  }
}
