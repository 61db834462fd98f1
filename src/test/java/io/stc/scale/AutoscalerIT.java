package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.StcServer;
import io.stc.config.ConfigLoader;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The autoscaler end to end: real stc, real proxy, real {@code stc backend} processes. */
class AutoscalerIT {
  /**
   * Settings for {@link #heldUpload}s: bodies stream to the backend at once instead of being read
   * whole first, and may wait for a scaling decision for as long as it takes.
   */
  private static final String HELD_UPLOADS = "limits: {buffer: 0}\ntimeouts: {body: 120s, response: 120s}";

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final List<ScaleEvent> events = new CopyOnWriteArrayList<>();
  private final List<Socket> holders = new ArrayList<>();
  private StcServer stc;

  @AfterEach
  void stop() throws Exception {
    for (Socket s : holders) {
      s.close();
    }
    if (stc != null) {
      stc.close(Duration.ofSeconds(2));
    }
  }

  private void start(String autoscaleYaml) throws Exception {
    start("", autoscaleYaml);
  }

  private void start(String topLevelYaml, String autoscaleYaml) throws Exception {
    StringBuilder command = new StringBuilder();
    for (String arg : ProcessProviderIT.backendCommand()) {
      command.append(command.length() == 0 ? "" : ", ").append('"').append(arg).append('"');
    }
    String yaml = """
        host: 127.0.0.1
        port: 0
        io_threads: 2
        algorithm: least_connections
        health: {interval: 200ms, timeout: 500ms, rise: 2, fall: 3}
        %s
        autoscale:
          enabled: true
          provider: {kind: process, command: [%s], log_dir: "%s"}
          interval: 200ms
          cooldown_down: 0s
        %s""".formatted(topLevelYaml, command, dir.resolve("instances"), autoscaleYaml.indent(2));
    stc = new StcServer(ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)));
    stc.start();
    stc.autoscaler().addListener(events::add);
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + stc.port() + path);
  }

  private List<Backend> inRotation() {
    return List.of(stc.upstream().pool().available());
  }

  @Test
  void aBurstOfSlowRequestsScalesUpAndBackDownWithEveryRequestAnswered() throws Exception {
    start("""
        policy: concurrency
        min: 1
        max: 3
        target: 4
        utilization: 0.5
        stable_window: 2s
        panic_window: 400ms
        """);
    assertThat(inRotation()).as("min instances ready before the listener opened").hasSize(1);

    AtomicBoolean loading = new AtomicBoolean(true);
    Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    Set<String> servedBy = ConcurrentHashMap.newKeySet();
    AtomicInteger errors = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(12);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 12; w++) {
      workers.add(clients.submit(() -> {
        // Bounded: each client stops at the flag or after 2,000 requests.
        for (int i = 0; i < 2_000 && loading.get(); i++) {
          try {
            HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(uri("/burst?delay=0.3")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
            statuses.merge(r.statusCode(), 1, Integer::sum);
            r.headers().firstValue("X-Served-By").ifPresent(servedBy::add);
          } catch (IOException | InterruptedException e) {
            errors.incrementAndGet();
          }
        }
        return null;
      }));
    }
    // 12 in flight against 2 per instance (how fast the panic window reacts is ConcurrencyPolicyTest's,
    // on a virtual clock); the new JVMs join once they pass a health check.
    await().atMost(Duration.ofSeconds(60)).until(() -> events.stream().anyMatch(e -> e.kind() == ScaleEvent.Kind.SCALED_UP));
    await().atMost(Duration.ofSeconds(60)).until(() -> inRotation().size() == 3);
    await().atMost(Duration.ofSeconds(30)).until(() -> servedBy.size() == 3);
    loading.set(false);
    for (Future<?> f : workers) {
      f.get(60, TimeUnit.SECONDS);
    }
    clients.shutdown();

    await().atMost(Duration.ofSeconds(30)).until(() -> stc.upstream().pool().all().size() == 1);
    // STOPPED comes once the process has exited, a moment after it left the pool.
    await().atMost(Duration.ofSeconds(30)).until(() -> events.stream().filter(e -> e.kind() == ScaleEvent.Kind.STOPPED).count() == 2);
    assertThat(statuses).containsOnlyKeys(200);
    assertThat(errors.get()).isZero();
    assertThat(stc.proxy().stats().responses(5)).isZero();
    ScaleEvent up = events.stream().filter(e -> e.kind() == ScaleEvent.Kind.SCALED_UP).findFirst().orElseThrow();
    assertThat(up.reason()).contains("in-flight+queued").contains("target 4 x 0.5");
    assertThat(events).filteredOn(e -> e.kind() == ScaleEvent.Kind.SCALED_DOWN).hasSize(2);
    assertThat(events).filteredOn(e -> e.kind() == ScaleEvent.Kind.STOPPED).hasSize(2)
        .allSatisfy(e -> assertThat(e.reason()).startsWith("drained in"));
    AutoscalerStatus status = stc.autoscaler().status();
    assertThat(status.current()).isEqualTo(1);
    assertThat(status.pending()).isZero();
    assertThat(status.lastEvent().kind()).isEqualTo(ScaleEvent.Kind.STOPPED);
    assertThat(stc.autoscaler().provider().instances()).hasSize(1);
  }

  @Test
  void aDrainedInstanceFinishesItsSlowRequestsBeforeItStops() throws Exception {
    start(HELD_UPLOADS, """
        policy: concurrency
        min: 1
        max: 2
        target: 2
        utilization: 1
        stable_window: 1s
        panic_window: 1s
        """);
    Backend first = inRotation().get(0);
    // Three requests held open by raw clients: demand 3 on capacity 2 asks for a second instance.
    for (int i = 0; i < 3; i++) {
      holders.add(hold());
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> first.stats().inFlight() == 3);
    await().atMost(Duration.ofSeconds(60)).until(() -> inRotation().size() == 2);
    Backend second = inRotation().stream().filter(b -> b != first).findFirst().orElseThrow();

    // The witness goes to the idle new instance (least connections) and stays in flight until the
    // test sends the last byte of its body.
    Socket witness = heldUpload("/witness");
    await().atMost(Duration.ofSeconds(30)).until(() -> second.stats().inFlight() == 1);

    // Demand falls to 2 with one request on each instance: one must go, and the newest is picked.
    holders.get(1).close();
    holders.get(2).close();
    await().atMost(Duration.ofSeconds(30)).until(() -> second.state() == BackendState.DRAINING);
    assertThat(stc.upstream().pool().find(second.id())).as("still in the pool while draining").isSameAs(second);
    assertThat(second.stats().inFlight()).as("the witness is still in flight").isEqualTo(1);
    assertThat(events).as("not stopped while the witness is in flight")
        .noneMatch(e -> e.kind() == ScaleEvent.Kind.STOPPED && e.instance().equals(second.id()));

    release(witness);
    String head = responseHead(witness);
    assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("X-Served-By: " + second.id());

    await().atMost(Duration.ofSeconds(30)).until(() -> stc.upstream().pool().find(second.id()) == null);
    ScaleEvent stopped = await().atMost(Duration.ofSeconds(30)).until(
        () -> events.stream().filter(e -> e.kind() == ScaleEvent.Kind.STOPPED && e.instance().equals(second.id())).findFirst(),
        java.util.Optional::isPresent).orElseThrow();
    assertThat(stopped.reason()).startsWith("drained in");
    assertThat(inRotation()).containsExactly(first);
    assertThat(stc.proxy().stats().responses(5)).isZero();
  }

  @Test
  void requestsWaitingInTheQueueCountAsDemand() throws Exception {
    // Each instance takes 2 at a time; the rest wait in stc's queue, where only the queue depth shows them.
    start("max_inflight: 2\nqueue: {max: 100, timeout: 120s}\n" + HELD_UPLOADS, """
        policy: concurrency
        min: 1
        max: 3
        target: 2
        utilization: 1
        stable_window: 2s
        panic_window: 400ms
        """);
    // Held uploads: the first two stay on the instance until released, so the other ten stay queued
    // for as long as the decision takes.
    List<Socket> requests = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      requests.add(heldUpload("/queued"));
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> events.stream().anyMatch(e -> e.kind() == ScaleEvent.Kind.SCALED_UP));
    assertThat(events.stream().filter(e -> e.kind() == ScaleEvent.Kind.SCALED_UP).findFirst().orElseThrow().reason())
        .as("2 in flight alone would ask for 1 instance").contains("-> ").doesNotContain("-> 1");
    await().atMost(Duration.ofSeconds(60))
        .until(() -> events.stream().anyMatch(e -> e.kind() == ScaleEvent.Kind.READY && !e.instance().equals("auto-1")));
    // All released before any is read: a queued request may wait behind any other.
    for (Socket r : requests) {
      release(r);
    }
    for (Socket r : requests) {
      assertThat(responseHead(r)).startsWith("HTTP/1.1 200");
    }
  }

  /**
   * Opens a POST through stc and sends all of its body but the last byte: the backend answers only
   * once {@link #release} sends it. The socket is closed after the test.
   */
  private Socket heldUpload(String path) throws IOException {
    Socket s = new Socket("127.0.0.1", stc.port());
    holders.add(s);
    s.setSoTimeout(60_000);
    OutputStream out = s.getOutputStream();
    out.write(("POST " + path + "?delay=0 HTTP/1.1\r\nHost: stc\r\nContent-Length: 2\r\n\r\nx")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }

  /** Sends the last byte of a {@link #heldUpload}. */
  private static void release(Socket upload) throws IOException {
    upload.getOutputStream().write('y');
    upload.getOutputStream().flush();
  }

  /** The head of the response to a released {@link #heldUpload}. */
  private static String responseHead(Socket upload) throws IOException {
    InputStream in = upload.getInputStream();
    StringBuilder head = new StringBuilder();
    while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after " + head);
      }
      head.append((char) b);
    }
    return head.toString();
  }

  /** Opens a request through stc that the backend holds for a minute; closing the socket ends it. */
  private Socket hold() throws IOException {
    Socket s = new Socket("127.0.0.1", stc.port());
    OutputStream out = s.getOutputStream();
    out.write("GET /hold?delay=60 HTTP/1.1\r\nHost: stc\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }
}
