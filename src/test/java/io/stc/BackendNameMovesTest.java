package io.stc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.config.StcConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A backend configured by host name follows the name: when it points elsewhere (a container
 * restarted with a new address), new connections and health probes go to the new address, and
 * requests under way through the move all succeed; every address the name has is served. Two real backends listen on the same port of
 * 127.0.0.2 and 127.0.0.3; the name's answers come from the test's own resolver.
 */
class BackendNameMovesTest {
  private static final String NAME = "svc.invalid";

  @Test
  void trafficAndProbesFollowTheNameWithoutAFailedRequest() throws Exception {
    AtomicReference<InetAddress> points = new AtomicReference<>(InetAddress.getByName("127.0.0.2"));
    DemoBackend[] both = samePortOn("127.0.0.2", "127.0.0.3");
    Path state = Files.createTempDirectory("stc-state-");
    StcServer stc = new StcServer(config(both[0].port(), true, state)).resolveNamesWith(host -> resolve(host, points));
    HttpClient http = HttpClient.newHttpClient();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger sent = new AtomicInteger();
    Set<String> servedBy = ConcurrentHashMap.newKeySet();
    Thread load = null;
    try {
      int port = stc.start();
      Backend b = stc.upstream().pool().all().get(0);
      await().atMost(Duration.ofSeconds(30)).until(() -> b.state() == BackendState.UP);
      URI uri = URI.create("http://127.0.0.1:" + port + "/");
      load = load(http, uri, running, sent, failed, servedBy::add);
      await().atMost(Duration.ofSeconds(30)).until(() -> sent.get() > 50);
      assertThat(servedBy).containsExactly("A");

      points.set(InetAddress.getByName("127.0.0.3"));
      await().atMost(Duration.ofSeconds(30)).until(() -> servedBy.contains("B"));
      assertThat(b.inetAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.3");

      // The old instance goes away, as a restarted container's does: nothing fails, and the probes
      // (which went to the new address too) keep the backend in.
      both[0].close();
      long closedAt = System.currentTimeMillis();
      int before = sent.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> sent.get() > before + 200
          && stc.health().lastResult(b) != null && stc.health().lastResult(b).epochMillis() > closedAt);
      assertThat(stc.health().lastResult(b).ok()).as("a probe after the old instance left: %s", stc.health().lastResult(b)).isTrue();
      assertThat(b.state()).isEqualTo(BackendState.UP);
      running.set(false);
      load.join();
      assertThat(failed.get()).as("failed of %d requests", sent.get()).isZero();
    } finally {
      stop(running, load, stc, both);
    }
  }

  @Test
  void everyAddressOfTheNameServesAndOneTheNameDropsStopsWithoutAFailedRequest() throws Exception {
    // A Compose service scaled to two behind one name, then back to one.
    AtomicReference<List<InetAddress>> points = new AtomicReference<>(
        List.of(InetAddress.getByName("127.0.0.2"), InetAddress.getByName("127.0.0.3")));
    DemoBackend[] both = samePortOn("127.0.0.2", "127.0.0.3");
    Path state = Files.createTempDirectory("stc-state-");
    StcServer stc = new StcServer(config(both[0].port(), true, state)).resolveNamesWith(host -> {
      if (!host.equals(NAME)) {
        throw new UnknownHostException(host);
      }
      return points.get().toArray(new InetAddress[0]);
    });
    HttpClient http = HttpClient.newHttpClient();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger sent = new AtomicInteger();
    java.util.Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
    Thread load = null;
    try {
      int port = stc.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> stc.upstream().pool().all().size() == 2
          && stc.upstream().pool().all().stream().allMatch(b -> b.state() == BackendState.UP));
      URI uri = URI.create("http://127.0.0.1:" + port + "/");
      load = load(http, uri, running, sent, failed, by -> servedBy.computeIfAbsent(by, k -> new AtomicInteger()).incrementAndGet());
      await().atMost(Duration.ofSeconds(30)).until(() -> servedBy.containsKey("A") && servedBy.containsKey("B")
          && servedBy.get("A").get() > 50 && servedBy.get("B").get() > 50);

      // The name drops 127.0.0.2 (the configured backend's address): one backend is left, at .3.
      points.set(List.of(InetAddress.getByName("127.0.0.3")));
      await().atMost(Duration.ofSeconds(30)).until(() -> stc.upstream().pool().all().size() == 1
          && stc.upstream().pool().all().get(0).inetAddress().getAddress().getHostAddress().equals("127.0.0.3"));
      Backend left = stc.upstream().pool().all().get(0);
      assertThat(left.id()).isEqualTo(NAME + ":" + both[0].port());
      // The instance that left goes away: nothing fails, and later requests all go to B.
      both[0].close();
      int servedByA = servedBy.get("A").get();
      int before = sent.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> sent.get() > before + 200);
      running.set(false);
      load.join();
      assertThat(failed.get()).as("failed of %d requests", sent.get()).isZero();
      assertThat(servedBy.get("A").get()).isEqualTo(servedByA);
      assertThat(left.state()).isEqualTo(BackendState.UP);
    } finally {
      stop(running, load, stc, both);
    }
  }

  @Test
  void aNameThatDoesNotResolveYetFailsAtOnceAndServesOnceItDoes() throws Exception {
    AtomicReference<InetAddress> points = new AtomicReference<>();
    DemoBackend[] one = samePortOn("127.0.0.2");
    Path state = Files.createTempDirectory("stc-state-");
    StcServer stc = new StcServer(config(one[0].port(), false, state)).resolveNamesWith(host -> resolve(host, points));
    try {
      int port = stc.start();
      HttpClient http = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + port + "/");
      // No DNS on the data plane: the connect fails at once, answered 502.
      assertThat(http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(502);
      points.set(InetAddress.getByName("127.0.0.2"));
      await().atMost(Duration.ofSeconds(30)).until(
          () -> http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    } finally {
      stc.close(Duration.ofSeconds(5));
      one[0].close();
    }
  }

  @Test
  void anHttp2BackendsStreamsGoToTheNewAddressAndTheOldConnectionDrains() throws Exception {
    AtomicReference<InetAddress> points = new AtomicReference<>(InetAddress.getByName("127.0.0.2"));
    io.stc.testing.Http2TestServer[] both = http2SamePortOn("127.0.0.2", "127.0.0.3");
    Path state = Files.createTempDirectory("stc-state-");
    // One event loop: one connection to the backend, which every stream shares.
    StcConfig config = config(both[0].port(), false, state).withIoThreads(1)
        .withBackends(List.of(new StcConfig.BackendConfig(NAME, both[0].port(), 1, io.stc.pool.BackendProtocol.H2C)));
    StcServer stc = new StcServer(config).resolveNamesWith(host -> resolve(host, points));
    try {
      int port = stc.start();
      HttpClient http = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + port + "/h2");
      for (int i = 0; i < 10; i++) {
        assertThat(http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      }
      assertThat(both[0].requests).hasSize(10);
      points.set(InetAddress.getByName("127.0.0.3"));
      Backend b = stc.upstream().pool().all().get(0);
      await().atMost(Duration.ofSeconds(30)).until(() -> b.inetAddress().getAddress().getHostAddress().equals("127.0.0.3"));
      for (int i = 0; i < 10; i++) {
        assertThat(http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      }
      assertThat(both[0].requests).as("no stream on the old connection after the move").hasSize(10);
      assertThat(both[1].requests).hasSize(10);
      assertThat(both[1].connections()).as("one connection to the new address, kept and shared").isEqualTo(1);
    } finally {
      stc.close(Duration.ofSeconds(5));
      for (io.stc.testing.Http2TestServer s : both) {
        s.close();
      }
    }
  }

  /** Stops the load (when it started), then stc, then the backends. */
  private static void stop(AtomicBoolean running, Thread load, StcServer stc, DemoBackend[] backends) throws InterruptedException {
    running.set(false);
    if (load != null) {
      load.join();
    }
    stc.close(Duration.ofSeconds(5));
    for (DemoBackend d : backends) {
      d.close();
    }
  }

  /**
   * Sends GETs to {@code uri} one after the other until {@code running} goes false, on a started
   * thread: counts each sent and each failed, and tells {@code servedBy} which demo backend (A or B)
   * answered each that succeeded.
   */
  private static Thread load(HttpClient http, URI uri, AtomicBoolean running, AtomicInteger sent, AtomicInteger failed,
      java.util.function.Consumer<String> servedBy) {
    Thread t = new Thread(() -> {
      while (running.get()) {
        sent.incrementAndGet();
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() != 200) {
            failed.incrementAndGet();
          } else {
            servedBy.accept(r.body().contains("\"server\":\"A\"") ? "A" : "B");
          }
        } catch (Exception e) {
          failed.incrementAndGet();
        }
      }
    });
    t.start();
    return t;
  }

  /** Cleartext HTTP/2 servers listening on one port, each on its own loopback address. */
  private static io.stc.testing.Http2TestServer[] http2SamePortOn(String... addresses) throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      io.stc.testing.Http2TestServer[] started = new io.stc.testing.Http2TestServer[addresses.length];
      int port = 0;
      try {
        for (int i = 0; i < addresses.length; i++) {
          started[i] = new io.stc.testing.Http2TestServer(addresses[i], port, 100);
          port = started[i].port();
        }
        return started;
      } catch (Exception e) {
        for (io.stc.testing.Http2TestServer s : started) {
          if (s != null) {
            s.close();
          }
        }
        if (attempt >= 10) {
          throw e;
        }
      }
    }
  }

  private static InetAddress[] resolve(String host, AtomicReference<InetAddress> points) throws UnknownHostException {
    InetAddress a = points.get();
    if (!host.equals(NAME) || a == null) {
      throw new UnknownHostException(host);
    }
    return new InetAddress[] {a};
  }

  private static StcConfig config(int port, boolean health, Path state) {
    StcConfig c = StcConfig.defaults()
        .withHost("127.0.0.1")
        .withPort(0)
        .withIoThreads(2)
        .withBackends(List.of(new StcConfig.BackendConfig(NAME, port, 1)))
        .withAdmin(StcConfig.Admin.defaults().withPort(0))
        .withStateDir(state.toString())
        .withRetries(0);
    return c.withHealth(new StcConfig.Health(health, "/health", Duration.ofMillis(200), Duration.ofMillis(500), 2, 3));
  }

  /** Demo backends named A, B, ... listening on one port, each on its own loopback address. */
  private static DemoBackend[] samePortOn(String... addresses) {
    for (int attempt = 0; ; attempt++) {
      DemoBackend[] started = new DemoBackend[addresses.length];
      int port = 0;
      try {
        for (int i = 0; i < addresses.length; i++) {
          String name = String.valueOf((char) ('A' + i));
          started[i] = DemoBackend.started(new BackendOptions(name, addresses[i], port, 0, 0, 0, 0));
          port = started[i].port();
        }
        return started;
      } catch (RuntimeException e) {
        // The port the first took was in use on another address: try another.
        for (DemoBackend d : started) {
          if (d != null) {
            d.close();
          }
        }
        if (attempt >= 10) {
          throw e;
        }
      }
    }
  }
}
