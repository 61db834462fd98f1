package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.config.StcConfig;
import io.stc.config.StcConfig.BackendConfig;
import io.stc.config.StcConfig.Sticky;
import io.stc.config.StcConfig.Sticky.Mode;
import io.stc.pool.BackendState;
import io.stc.testing.TestCluster;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Backup backends through the real proxy: idle while another backend can serve, serving when none can, and a failed request's last resort. */
class BackupBackendsTest {
  private static final Sticky COOKIE =
      new Sticky(Mode.COOKIE, "STC_SID", Duration.ofHours(1), 100_000, false, "backup-test-secret-0123456789");

  /** The cluster's last backend made a backup. */
  private static StcConfig lastIsBackup(StcConfig c) {
    List<BackendConfig> backends = new ArrayList<>(c.backends());
    int last = backends.size() - 1;
    backends.set(last, backends.get(last).withBackup(true));
    return c.withBackends(backends);
  }

  private static HttpResponse<String> get(TestCluster cluster, String cookie) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(cluster.uri("/s")).timeout(Duration.ofSeconds(20));
    if (cookie != null) {
      r.header("Cookie", cookie);
    }
    return cluster.http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Map<String, Integer> servedBy(TestCluster cluster, int requests) throws Exception {
    Map<String, Integer> served = new HashMap<>();
    for (int i = 0; i < requests; i++) {
      HttpResponse<String> r = get(cluster, null);
      served.merge(r.statusCode() == 200 ? r.headers().firstValue("X-Served-By").orElseThrow() : "status " + r.statusCode(), 1,
          Integer::sum);
    }
    return served;
  }

  @Test
  void aBackupServesOnlyWhileEveryOtherBackendIsOut() throws Exception {
    try (TestCluster cluster = TestCluster.of(3, BackupBackendsTest::lastIsBackup)) {
      assertThat(cluster.backend(2).backup()).isTrue();
      assertThat(servedBy(cluster, 20)).containsOnlyKeys(cluster.id(0), cluster.id(1));

      cluster.stc.upstream().setState(cluster.backend(0), BackendState.MAINT, "test");
      assertThat(servedBy(cluster, 10)).containsOnlyKeys(cluster.id(1));

      // The last other one goes down for real: its process stops, and the health checks see it.
      cluster.backends.get(1).close();
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.backend(1).state() == BackendState.DOWN);
      assertThat(servedBy(cluster, 10)).containsExactly(Map.entry(cluster.id(2), 10));

      cluster.stc.upstream().setState(cluster.backend(0), BackendState.UP, "test");
      assertThat(servedBy(cluster, 10)).containsExactly(Map.entry(cluster.id(0), 10));
    }
  }

  @Test
  void aRequestEveryOtherBackendFailedGoesToABackupBeforeTheClientGetsAnError() throws Exception {
    int refusing;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      refusing = s.getLocalPort();
    }
    int closed = refusing;
    // No health checks: the backend that refuses connections stays UP and is picked first.
    try (TestCluster cluster = TestCluster.of(1, c -> c
        .withHealth(new StcConfig.Health(false, "/health", Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 1))
        .withBackends(List.of(new BackendConfig("127.0.0.1", closed, 1), c.backends().get(0).withBackup(true))))) {
      HttpResponse<String> r = get(cluster, null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("X-Served-By")).contains(cluster.id(0));
      assertThat(cluster.stc.upstream().pool().find("127.0.0.1:" + closed).stats().failures()).isEqualTo(1);
      assertThat(cluster.stc.upstream().pool().backupsServe()).isFalse();
    }
  }

  @Test
  void aRequestThatFindsEveryOtherBackendFullGoesToABackupRatherThanWaiting() throws Exception {
    // One slot on each backend; the regular one is held by a slow request.
    List<io.stc.backend.BackendOptions> options = List.of(
        io.stc.backend.BackendOptions.defaults().withName("regular"), io.stc.backend.BackendOptions.defaults().withName("spare"));
    try (TestCluster cluster = TestCluster.of(options, c -> lastIsBackup(c).withCapacity(new StcConfig.Capacity(1, 0, Duration.ofSeconds(10))))) {
      java.util.concurrent.CompletableFuture<HttpResponse<String>> slow = cluster.http.sendAsync(
          HttpRequest.newBuilder(cluster.uri("/slow?delay=2")).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> cluster.backend(0).stats().inFlight() == 1);
      HttpResponse<String> r = get(cluster, null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("X-Served-By")).contains(cluster.id(1));
      assertThat(slow.get().headers().firstValue("X-Served-By")).contains(cluster.id(0));
    }
  }

  @Test
  void aSessionABackupTookGoesBackOnceAnotherBackendReturns() throws Exception {
    try (TestCluster cluster = TestCluster.of(2, c -> lastIsBackup(c).withSticky(COOKIE))) {
      cluster.stc.upstream().setState(cluster.backend(0), BackendState.MAINT, "test");
      HttpResponse<String> first = get(cluster, null);
      assertThat(first.headers().firstValue("X-Served-By")).contains(cluster.id(1));
      String setCookie = first.headers().firstValue("Set-Cookie").orElseThrow();
      String cookie = setCookie.substring(0, setCookie.indexOf(';'));
      assertThat(get(cluster, cookie).headers().firstValue("X-Served-By")).contains(cluster.id(1));

      cluster.stc.upstream().setState(cluster.backend(0), BackendState.UP, "test");
      HttpResponse<String> back = get(cluster, cookie);
      assertThat(back.headers().firstValue("X-Served-By")).contains(cluster.id(0));
      // Pinned again, to the backend that serves it now.
      String repinned = back.headers().firstValue("Set-Cookie").orElseThrow();
      String again = repinned.substring(0, repinned.indexOf(';'));
      assertThat(again).isNotEqualTo(cookie);
      assertThat(get(cluster, again).headers().firstValue("X-Served-By")).contains(cluster.id(0));
    }
  }
}
