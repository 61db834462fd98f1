package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.balance.Algorithm;
import io.stc.pool.BackendState;
import io.stc.testing.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Every operator change, made while 8 clients hammer the proxy: not one client request may fail. */
class ChangesUnderLoadTest {
  static final int CLIENTS = 8;
  static final long MAX_REQUESTS_PER_CLIENT = 200_000;

  @Test
  void noClientRequestFailsWhileThePoolAndAlgorithmChange() throws Exception {
    List<DemoBackend> extra = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    try (TestCluster cluster = TestCluster.of(2)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.upstream().pool().availableCount() == 2);
      AdminCalls api = new AdminCalls(cluster.stc.adminPort());
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong ok = new AtomicLong();
      Map<String, Long> bad = new ConcurrentHashMap<>();
      List<Future<?>> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        clients.add(pool.submit(() -> {
          HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
          URI uri = URI.create("http://127.0.0.1:" + cluster.stc.port() + "/load");
          for (long i = 0; i < MAX_REQUESTS_PER_CLIENT && !stop.get(); i++) {
            try {
              HttpResponse<String> r = http.send(
                  HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
              if (r.statusCode() == 200) {
                ok.incrementAndGet();
              } else {
                bad.merge("HTTP " + r.statusCode() + " " + r.body(), 1L, Long::sum);
              }
            } catch (Exception e) {
              bad.merge(e.toString(), 1L, Long::sum);
            }
          }
        }));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 200);

      // Add two backends and wait until they take traffic.
      for (int i = 0; i < 2; i++) {
        DemoBackend b = DemoBackend.started(BackendOptions.defaults().withName("x" + i));
        extra.add(b);
        assertThat(api.post("/api/backends", "{\"host\":\"127.0.0.1\",\"port\":" + b.port() + "}").status()).isEqualTo(201);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.upstream().pool().availableCount() == 4);
      String x0 = "127.0.0.1:" + extra.get(0).port();
      String x1 = "127.0.0.1:" + extra.get(1).port();
      await().atMost(Duration.ofSeconds(10)).until(() -> extra.get(0).requests() > 10 && extra.get(1).requests() > 10);

      // Weights and every algorithm in turn.
      for (Algorithm a : Algorithm.values()) {
        assertThat(api.put("/api/algorithm", "{\"algorithm\":\"" + a.configName() + "\"}").status()).isEqualTo(200);
        assertThat(api.patch("/api/backends/" + cluster.id(0), "{\"weight\":" + (1 + a.ordinal() % 4) + "}").status()).isEqualTo(200);
        long before = ok.get();
        await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > before + 50);
      }

      // Drain one, bring it back; maintenance on another, bring it back.
      assertThat(api.patch("/api/backends/" + cluster.id(1), "{\"state\":\"drain\"}").status()).isEqualTo(200);
      long drained = ok.get();
      await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > drained + 100);
      assertThat(api.patch("/api/backends/" + cluster.id(1), "{\"state\":\"up\"}").status()).isEqualTo(200);
      assertThat(api.patch("/api/backends/" + x1, "{\"state\":\"maint\"}").status()).isEqualTo(200);
      long maint = ok.get();
      await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > maint + 100);
      assertThat(api.patch("/api/backends/" + x1, "{\"state\":\"up\"}").status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> cluster.stc.upstream().pool().find(x1).state() == BackendState.UP);

      // Remove the added ones (drain, then gone) and one of the originals.
      assertThat(api.delete("/api/backends/" + x0).status()).isEqualTo(202);
      assertThat(api.delete("/api/backends/" + x1).status()).isEqualTo(202);
      assertThat(api.delete("/api/backends/" + cluster.id(1)).status()).isEqualTo(202);
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.upstream().pool().all().size() == 1);
      long removed = ok.get();
      await().atMost(Duration.ofSeconds(5)).until(() -> ok.get() > removed + 100);

      stop.set(true);
      for (Future<?> f : clients) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(bad).as("failed client requests").isEmpty();
      assertThat(ok.get()).isGreaterThan(1000);
    } finally {
      pool.shutdownNow();
      extra.forEach(DemoBackend::close);
    }
  }
}
