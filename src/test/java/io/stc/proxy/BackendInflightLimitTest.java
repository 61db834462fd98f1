package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.StcServer;
import io.stc.config.StcConfig;
import io.stc.config.StcConfig.BackendConfig;
import io.stc.pool.BackendProtocol;
import io.stc.testing.RawBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A backend's own {@code max_inflight} (nginx's {@code max_conns}, HAProxy's per-server
 * {@code maxconn}): a full one is passed over for the others; when every backend is full the
 * request waits in the queue the top-level {@code max_inflight} runs, or without one is answered
 * 503, as nginx does.
 */
class BackendInflightLimitTest {
  private final List<AutoCloseable> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final CompletableFuture<Void> gate = new CompletableFuture<>();

  @AfterEach
  void stop() throws Exception {
    gate.complete(null);
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).close();
    }
  }

  /** Answers the head and half the body, the rest once the gate opens: each request stays in flight until then. */
  private RawBackend held() throws Exception {
    RawBackend b = new RawBackend(r -> "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nsm", "al", gate);
    started.add(b);
    return b;
  }

  private RawBackend quick() throws Exception {
    RawBackend b = new RawBackend(r -> "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbig", r -> r.contains("\r\n\r\n"), true);
    started.add(b);
    return b;
  }

  private StcServer stc;

  private int start(int topLevel, BackendConfig... backends) throws Exception {
    StcConfig cfg = RawBackend.alone(StcConfig.defaults()
            .withHost("127.0.0.1").withPort(0).withIoThreads(1)
            .withAdmin(StcConfig.Admin.defaults().withPort(0))
            .withStateDir(Files.createTempDirectory("stc-state-").toString()))
        .withCapacity(new StcConfig.Capacity(topLevel, 0, Duration.ofSeconds(10)))
        .withBackends(List.of(backends));
    stc = new StcServer(cfg);
    started.add(() -> stc.close(Duration.ofSeconds(5)));
    return stc.start();
  }

  private static BackendConfig limited(RawBackend b, int limit) {
    return new BackendConfig("127.0.0.1", b.port(), 1, BackendProtocol.HTTP1, false, limit);
  }

  private CompletableFuture<HttpResponse<String>> get(int port, String path) {
    return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aFullBackendIsPassedOverForTheOthers() throws Exception {
    RawBackend small = held();
    RawBackend big = quick();
    int port = start(0, limited(small, 1), limited(big, 0));
    CompletableFuture<HttpResponse<String>> first = get(port, "/first");
    await().atMost(Duration.ofSeconds(10)).until(() -> small.received.size() == 1);
    assertThat(stc.upstream().pool().find("127.0.0.1:" + small.port()).maxInflight()).isEqualTo(1);
    for (int i = 0; i < 4; i++) {
      // Round robin would send every other one to the small backend: it is full, so the big one takes them.
      assertThat(get(port, "/r" + i).get().body()).isEqualTo("big");
    }
    assertThat(small.received).hasSize(1);
    gate.complete(null);
    assertThat(first.get().body()).isEqualTo("smal");
  }

  @Test
  void aRaisedLimitTakesAWaitingRequestAtOnce() throws Exception {
    RawBackend small = held();
    int port = start(10, limited(small, 1));
    CompletableFuture<HttpResponse<String>> first = get(port, "/first");
    await().atMost(Duration.ofSeconds(10)).until(() -> small.received.size() == 1);
    CompletableFuture<HttpResponse<String>> second = get(port, "/second");
    await().atMost(Duration.ofSeconds(10)).until(() -> stc.proxy().queueDepth() == 1);
    // The first still in flight: the waiter leaves the queue for the room the new limit makes.
    stc.upstream().setMaxInflight(stc.upstream().pool().find("127.0.0.1:" + small.port()), 2);
    await().atMost(Duration.ofSeconds(10)).until(() -> stc.proxy().queueDepth() == 0);
    assertThat(first).isNotDone();
    gate.complete(null);
    assertThat(first.get().body()).isEqualTo("smal");
    assertThat(second.get().body()).isEqualTo("smal");
  }

  @Test
  void withEveryBackendFullARequestWaitsInTheQueueOrWithoutOneIsAnswered503() throws Exception {
    RawBackend small = held();
    int port = start(0, limited(small, 1));
    CompletableFuture<HttpResponse<String>> first = get(port, "/first");
    await().atMost(Duration.ofSeconds(10)).until(() -> small.received.size() == 1);
    HttpResponse<String> refused = get(port, "/second").get();
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.body()).contains("no_backend");
    gate.complete(null);
    assertThat(first.get().statusCode()).isEqualTo(200);
  }

  @Test
  void theTopLevelLimitsQueueHoldsRequestsForAFullBackend() throws Exception {
    RawBackend small = held();
    int port = start(10, limited(small, 1));
    CompletableFuture<HttpResponse<String>> first = get(port, "/first");
    await().atMost(Duration.ofSeconds(10)).until(() -> small.received.size() == 1);
    CompletableFuture<HttpResponse<String>> second = get(port, "/second");
    await().atMost(Duration.ofSeconds(10)).until(() -> stc.proxy().queueDepth() == 1);
    assertThat(small.received).hasSize(1);
    gate.complete(null);
    assertThat(first.get().body()).isEqualTo("smal");
    assertThat(second.get().body()).isEqualTo("smal");
    assertThat(small.received).hasSize(2);
  }
}
