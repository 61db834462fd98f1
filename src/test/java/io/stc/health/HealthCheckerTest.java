package io.stc.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.pool.BackendState;
import io.stc.pool.PoolEvent;
import io.stc.testing.TestCluster;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class HealthCheckerTest {

  @Test
  void sickBackendLeavesAfterFallProbesAndReturnsAfterRise() throws Exception {
    try (TestCluster cluster = TestCluster.of(2)) {
      List<PoolEvent> events = new CopyOnWriteArrayList<>();
      cluster.stc.upstream().addListener(events::add);
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.backend(0).state() == BackendState.UP);

      cluster.backends.get(0).fail();
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.backend(0).state() == BackendState.DOWN);
      assertThat(events).anySatisfy(e -> assertThat(e.reason()).contains("failed 3 times"));
      // While it is down, every request goes to the healthy one.
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> r = cluster.get("/x");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Served-By")).contains(cluster.id(1));
      }
      assertThat(cluster.stc.health().lastResult(cluster.backend(0)).ok()).isFalse();

      cluster.backends.get(0).recover();
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.backend(0).state() == BackendState.UP);
      PoolEvent up = events.get(events.size() - 1);
      assertThat(up.backend().id()).isEqualTo(cluster.id(0));
      assertThat(up.kind()).isEqualTo(PoolEvent.Kind.STATE_CHANGED);
      assertThat(up.previousState()).isEqualTo(BackendState.DOWN);
    }
  }

  @Test
  void backendsAreProbedBeforeTheListenerOpens() throws Exception {
    try (TestCluster cluster = TestCluster.of(2)) {
      // First probes ran before the listener opened: both serve from the first request.
      assertThat(cluster.stc.health().lastResult(cluster.backend(1))).isNotNull();
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.upstream().pool().availableCount() == 2);
    }
  }
}
