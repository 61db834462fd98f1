package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.backend.BackendOptions;
import io.stc.health.CircuitBreaker;
import io.stc.testing.TestCluster;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Algorithms and the circuit breaker observed through the real proxy with real backends. */
class BalancingThroughProxyTest {

  private static Map<String, Integer> spread(TestCluster cluster, int requests, int concurrency) throws Exception {
    Map<String, Integer> served = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      List<Future<?>> jobs = new java.util.ArrayList<>();
      for (int w = 0; w < concurrency; w++) {
        jobs.add(pool.submit(() -> {
          for (int i = 0; i < requests / concurrency; i++) {
            HttpResponse<String> r =
                cluster.http.send(HttpRequest.newBuilder(cluster.uri("/s")).build(), HttpResponse.BodyHandlers.ofString());
            served.merge(r.headers().firstValue("X-Served-By").orElse("status " + r.statusCode()), 1, Integer::sum);
          }
          return null;
        }));
      }
      for (Future<?> f : jobs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    return served;
  }

  @ParameterizedTest
  @CsvSource({"least_response_time, 0.10", "power_of_two, 0.10", "round_robin, 0.34"})
  void latencyAwareAlgorithmsAvoidTheSlowBackend(String algorithm, double maxSlowShare) throws Exception {
    List<BackendOptions> options =
        List.of(
            BackendOptions.defaults().withName("slow").withDelay(0.2, 0),
            BackendOptions.defaults().withName("fast1").withDelay(0.005, 0),
            BackendOptions.defaults().withName("fast2").withDelay(0.005, 0));
    try (TestCluster cluster = TestCluster.of(options, c -> c.withAlgorithm(algorithm))) {
      int total = 180;
      Map<String, Integer> served = spread(cluster, total, 6);
      int slow = served.getOrDefault(cluster.id(0), 0);
      assertThat(served.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(total);
      assertThat(served.keySet()).allMatch(k -> k.startsWith("127.0.0.1:"));
      if (algorithm.equals("round_robin")) {
        // The baseline: blind rotation sends the slow one its full third.
        assertThat(slow).isBetween(total / 3 - 6, total / 3 + 6);
      } else {
        assertThat((double) slow / total).isLessThan(maxSlowShare);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"weighted_round_robin", "least_connections", "random", "consistent_hash", "adaptive_weighted"})
  void everyAlgorithmServesThroughTheProxy(String algorithm) throws Exception {
    try (TestCluster cluster = TestCluster.of(3, c -> c.withAlgorithm(algorithm))) {
      Map<String, Integer> served = spread(cluster, 60, 3);
      assertThat(served.keySet()).allMatch(k -> k.startsWith("127.0.0.1:"));
      assertThat(served.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);
      if (algorithm.equals("consistent_hash")) {
        // Every request comes from 127.0.0.1: one key, one backend.
        assertThat(served).hasSize(1);
      } else {
        assertThat(served).hasSize(3);
      }
    }
  }

  @Test
  void failingBackendsBreakerOpensAndKeepsTrafficAway() throws Exception {
    List<BackendOptions> options =
        List.of(
            BackendOptions.defaults().withName("bad").withErrorRate(1.0),
            BackendOptions.defaults().withName("good1"),
            BackendOptions.defaults().withName("good2"));
    try (TestCluster cluster = TestCluster.of(options, c -> c)) {
      List<CircuitBreaker.State> transitions = new CopyOnWriteArrayList<>();
      cluster.stc.breakers().addListener((b, from, to) -> transitions.add(to));
      for (int i = 0; i < 60; i++) {
        cluster.get("/x");
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> transitions.contains(CircuitBreaker.State.OPEN));
      long badRequests = cluster.backends.get(0).requests();
      // Five failures open it (default threshold); the open time (5 s) keeps it out of rotation.
      assertThat(badRequests).isBetween(5L, 7L);
      assertThat(cluster.stc.breakers().of(cluster.backend(0)).state()).isEqualTo(CircuitBreaker.State.OPEN);
      for (int i = 0; i < 30; i++) {
        assertThat(cluster.get("/y").statusCode()).isEqualTo(200);
      }
      assertThat(cluster.backends.get(0).requests()).isEqualTo(badRequests);
    }
  }
}
