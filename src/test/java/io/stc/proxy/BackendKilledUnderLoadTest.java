package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.pool.BackendState;
import io.stc.testing.TestCluster;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BackendKilledUnderLoadTest {

  @Test
  void killingABackendUnderConcurrentLoadFailsNoRequest() throws Exception {
    try (TestCluster cluster = TestCluster.of(3)) {
      String victim = cluster.id(1);
      AtomicInteger failures = new AtomicInteger();
      AtomicInteger ok = new AtomicInteger();
      Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        workers.add(pool.submit(() -> {
          for (int i = 0; i < 150; i++) {
            try {
              HttpResponse<String> r =
                  cluster.http.send(
                      HttpRequest.newBuilder(cluster.uri("/load")).timeout(Duration.ofSeconds(20)).build(),
                      HttpResponse.BodyHandlers.ofString());
              statuses.merge(r.statusCode(), 1, Integer::sum);
              if (r.statusCode() == 200) {
                ok.incrementAndGet();
              } else {
                failures.incrementAndGet();
              }
            } catch (Exception e) {
              failures.incrementAndGet();
            }
          }
          return null;
        }));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> ok.get() >= 200);
      cluster.backends.get(1).close();
      for (Future<?> f : workers) {
        f.get();
      }
      pool.shutdown();
      assertThat(statuses).containsOnlyKeys(200);
      assertThat(failures.get()).isZero();
      assertThat(ok.get()).isEqualTo(8 * 150);
      // It left rotation at its first refused connection, without waiting for probes.
      assertThat(cluster.stc.upstream().pool().find(victim).state()).isEqualTo(BackendState.DOWN);
      for (int i = 0; i < 20; i++) {
        assertThat(cluster.get("/after").headers().firstValue("X-Served-By").orElseThrow()).isNotEqualTo(victim);
      }
    }
  }
}
