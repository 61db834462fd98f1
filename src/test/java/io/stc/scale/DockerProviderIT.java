package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stc.StcServer;
import io.stc.config.ConfigLoader;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.testing.PodmanService;
import io.stc.testing.StcProcess;
import java.io.IOException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docker provider against a real engine: podman's Docker API on a private socket, started
 * here, with an image built here from busybox. Scale up under load, scale down with a request in
 * flight, a crashed container replaced, and the containers of a SIGKILLed stc removed by the next.
 */
class DockerProviderIT {
  static PodmanService engine;

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final List<ScaleEvent> events = new CopyOnWriteArrayList<>();
  private final List<Socket> holders = new ArrayList<>();
  private StcServer stc;

  @BeforeAll
  static void startEngine() throws Exception {
    try {
      engine = PodmanService.start();
    } catch (PodmanService.EngineUnavailable e) {
      // Only a missing install under CI is a failure: .ci/run installs podman, runc and busybox-static.
      if (System.getenv("CI") != null && e.getMessage().contains("not installed")) {
        throw e;
      }
      Assumptions.abort("no container engine here: " + e.getMessage());
    }
  }

  @AfterAll
  static void stopEngine() throws Exception {
    if (engine != null) {
      engine.close();
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Socket s : holders) {
      s.close();
    }
    if (stc != null) {
      stc.close(Duration.ofSeconds(2));
    }
  }

  private String yaml(String autoscale) {
    return """
        host: 127.0.0.1
        port: 0
        io_threads: 2
        algorithm: least_connections
        state_dir: "%s"
        admin: {port: 0}
        health: {interval: 200ms, timeout: 500ms, rise: 2, fall: 3}
        autoscale:
          enabled: true
          provider: {kind: docker, image: %s, engine: "%s", pull: never, stop_timeout: 5s, labels: {purpose: stc-test}}
          interval: 200ms
          cooldown_down: 0s
        %s""".formatted(dir.resolve("state"), PodmanService.IMAGE, engine.address(), autoscale.indent(2));
  }

  private void start(String autoscale) throws Exception {
    stc = new StcServer(ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml(autoscale))));
    stc.start();
    stc.autoscaler().addListener(events::add);
  }

  private DockerProvider provider() {
    return (DockerProvider) stc.autoscaler().provider();
  }

  private List<String> containers() throws Exception {
    return engine.containers(DockerProvider.OWNER_LABEL, DockerProvider.ownerOf(dir.resolve("state").toString()));
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + stc.port() + path);
  }

  private List<Backend> inRotation() {
    return List.of(stc.upstream().pool().available());
  }

  private Socket hold(String path) throws IOException {
    Socket s = new Socket("127.0.0.1", stc.port());
    OutputStream out = s.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: stc\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }

  @Test
  void scalesUpUnderLoadAndBackDownWithEveryRequestAnswered() throws Exception {
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
    assertThat(containers()).hasSize(1);
    assertThat(engine.podman("inspect", "--format", "{{index .Config.Labels \"purpose\"}}", containers().get(0)).strip())
        .isEqualTo("stc-test");

    AtomicBoolean loading = new AtomicBoolean(true);
    Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    Set<String> servedBy = ConcurrentHashMap.newKeySet();
    Set<String> hostnames = ConcurrentHashMap.newKeySet();
    AtomicInteger errors = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(12);
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 12; w++) {
      workers.add(clients.submit(() -> {
        // Bounded: each client stops at the flag or after 1,000 requests.
        for (int i = 0; i < 1_000 && loading.get(); i++) {
          try {
            HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(uri("/cgi-bin/slow?0.3")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
            statuses.merge(r.statusCode(), 1, Integer::sum);
            r.headers().firstValue("X-Served-By").ifPresent(servedBy::add);
            hostnames.add(r.body().strip());
          } catch (IOException | InterruptedException e) {
            errors.incrementAndGet();
          }
        }
        return null;
      }));
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> inRotation().size() == 3);
    await().atMost(Duration.ofSeconds(30)).until(() -> servedBy.size() == 3);
    assertThat(containers()).hasSize(3);
    loading.set(false);
    for (Future<?> f : workers) {
      f.get(60, TimeUnit.SECONDS);
    }
    clients.shutdown();

    await().atMost(Duration.ofSeconds(60)).until(() -> stc.upstream().pool().all().size() == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> events.stream().filter(e -> e.kind() == ScaleEvent.Kind.STOPPED).count() == 2);
    // Stopped means gone from the engine too.
    await().atMost(Duration.ofSeconds(30)).until(() -> containers().size() == 1);
    assertThat(statuses).containsOnlyKeys(200);
    assertThat(errors.get()).isZero();
    assertThat(hostnames).as("three containers answered").hasSize(3).allSatisfy(h -> assertThat(h).startsWith("slow from "));
    assertThat(events).filteredOn(e -> e.kind() == ScaleEvent.Kind.STOPPED).hasSize(2)
        .allSatisfy(e -> assertThat(e.reason()).startsWith("drained in"));
    assertThat(provider().instances()).hasSize(1);

    stc.close(Duration.ofSeconds(2));
    stc = null;
    assertThat(containers()).as("closing stc removes its containers").isEmpty();
  }

  @Test
  void aDrainedContainerFinishesItsRequestBeforeItIsStopped() throws Exception {
    start("""
        policy: concurrency
        min: 1
        max: 2
        target: 2
        utilization: 1
        stable_window: 1s
        panic_window: 1s
        """);
    Backend first = inRotation().get(0);
    // Three requests held open: demand 3 on capacity 2 asks for a second container.
    for (int i = 0; i < 3; i++) {
      holders.add(hold("/cgi-bin/slow?60"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> first.stats().inFlight() == 3);
    await().atMost(Duration.ofSeconds(60)).until(() -> inRotation().size() == 2);
    Backend second = inRotation().stream().filter(b -> b != first).findFirst().orElseThrow();
    String secondContainer = provider().containerId(provider().instances().stream()
        .filter(i -> i.name().equals(second.id())).findFirst().orElseThrow()).orElseThrow();

    // The witness goes to the idle new container (least connections) and takes 4 s.
    CompletableFuture<HttpResponse<String>> witness = http.sendAsync(
        HttpRequest.newBuilder(uri("/cgi-bin/slow?4")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(5)).until(() -> second.stats().inFlight() == 1);

    // Demand falls to 2 with one request on each container: one must go, and the newest is picked.
    holders.get(1).close();
    holders.get(2).close();
    await().atMost(Duration.ofSeconds(10)).until(() -> second.state() == BackendState.DRAINING);
    assertThat(witness).isNotDone();
    assertThat(containers()).as("still running while it drains").contains(secondContainer);

    HttpResponse<String> r = witness.get(30, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("X-Served-By")).contains(second.id());
    assertThat(r.body()).startsWith("slow from ");

    await().atMost(Duration.ofSeconds(30)).until(() -> !containers().contains(secondContainer));
    assertThat(events).filteredOn(e -> e.kind() == ScaleEvent.Kind.STOPPED).singleElement()
        .satisfies(e -> assertThat(e.reason()).startsWith("drained in"));
    assertThat(inRotation()).containsExactly(first);
    assertThat(stc.proxy().stats().responses(5)).isZero();
  }

  @Test
  void aContainerThatDiesIsReplaced() throws Exception {
    start("""
        policy: concurrency
        min: 2
        max: 2
        """);
    await().atMost(Duration.ofSeconds(30)).until(() -> inRotation().size() == 2);
    List<String> before = containers();
    assertThat(before).hasSize(2);
    Instance victim = provider().instances().get(0);
    String id = provider().containerId(victim).orElseThrow();

    engine.podman("kill", "--signal", "KILL", id);

    ScaleEvent crashed = await().atMost(Duration.ofSeconds(30)).until(
        () -> events.stream().filter(e -> e.kind() == ScaleEvent.Kind.CRASHED).findFirst(), java.util.Optional::isPresent).orElseThrow();
    assertThat(crashed.reason()).contains("exit code 137").contains("replacing it");
    await().atMost(Duration.ofSeconds(60)).until(() -> inRotation().size() == 2 && !provider().instances().contains(victim));
    await().atMost(Duration.ofSeconds(30)).until(() -> containers().size() == 2 && !containers().contains(id));
    for (int i = 0; i < 6; i++) {
      assertThat(http.send(HttpRequest.newBuilder(uri("/")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void anImageTheEngineLacksFailsTheStartWithTheReasonWhenPullIsNever() throws Exception {
    io.stc.config.DockerConfig c = new io.stc.config.DockerConfig("stc-test-no-such-image:1", List.of(), Map.of(), 8080, null,
        Map.of(), io.stc.config.DockerConfig.Pull.NEVER, engine.address());
    try (DockerProvider p = DockerProvider.connect(c, dir.resolve("state").toString(), Duration.ofSeconds(30), Duration.ofSeconds(1))) {
      assertThat(p.start("auto-1")).failsWithin(Duration.ofSeconds(30))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .withMessageContaining("stc-test-no-such-image:1 is not on the engine and autoscale.provider.pull is never");
      assertThat(p.instances()).isEmpty();
      assertThat(engine.containers(DockerProvider.OWNER_LABEL, p.owner())).isEmpty();
    }
  }

  @Test
  void theDemoRunsOnContainersOfTheImageItIsGivenFoundThroughDockerHost() throws Exception {
    try (StcProcess demo = StcProcess.startIn(dir, Map.of("DOCKER_HOST", engine.address()), "demo", "--provider", "docker",
        "--image", PodmanService.IMAGE, "--port", "0", "--admin-port", "0", "--no-top", "--rate", "10", "--min", "2", "--max", "3")) {
      String dashboard = demo.awaitLine(java.util.regex.Pattern.compile("dashboard:\\s+(http://\\S+)/")).group(1);
      String balancer = demo.awaitLine(java.util.regex.Pattern.compile("balancer:\\s+(http://\\S+)/")).group(1);
      String owner = DockerProvider.ownerOf(dir.resolve(".stc-state").toString());
      assertThat(engine.containers(DockerProvider.OWNER_LABEL, owner)).hasSizeBetween(2, 3);
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(balancer + "/cgi-bin/slow?0")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).startsWith("slow from ");
      ObjectMapper json = new ObjectMapper();
      await().atMost(Duration.ofSeconds(60)).until(() -> json.readTree(http.send(
          HttpRequest.newBuilder(URI.create(dashboard + "/api/stats")).build(), HttpResponse.BodyHandlers.ofString()).body())
          .path("totals").path("requests").asLong() > 20);
      assertThat(demo.terminate()).isZero();
      assertThat(engine.containers(DockerProvider.OWNER_LABEL, owner)).as("the demo's containers go with it").isEmpty();
    }
  }

  @Test
  void aTakeoverKeepsTheContainersRunningAndTheNewStcRemovesThemWhenItStops() throws Exception {
    int adminPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      adminPort = s.getLocalPort();
    }
    Path config = Files.writeString(dir.resolve("stc.yaml"), yaml("min: 2\nmax: 2\n").replace("admin: {port: 0}", "admin: {port: " + adminPort + "}"));
    try (StcProcess first = StcProcess.start("serve", "--config", config.toString())) {
      int port = first.awaitListening();
      await().atMost(Duration.ofSeconds(60)).until(() -> containers().size() == 2);
      List<String> before = containers();
      try (StcProcess second = StcProcess.start("serve", "--config", config.toString(), "--takeover")) {
        assertThat(second.awaitListening()).isEqualTo(port);
        assertThat(first.awaitExit()).as(first.stderr()).isZero();
        assertThat(first.stderr()).contains("scaling held: 2 instance(s)", "handed over to the new stc");
        assertThat(second.stderr()).contains("took over auto-1", "took over auto-2").doesNotContain("left behind");
        // The same containers serve on: none was removed or made for the change.
        assertThat(containers()).containsExactlyInAnyOrderElementsOf(before);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/cgi-bin/slow?0"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);

        // A new version (here: other labels on its containers) replaces them one at a time.
        Path v2 = Files.writeString(dir.resolve("v2.yaml"), Files.readString(config).replace("purpose: stc-test", "purpose: stc-test-v2"));
        try (StcProcess third = StcProcess.start("serve", "--config", v2.toString(), "--takeover")) {
          assertThat(third.awaitListening()).isEqualTo(port);
          assertThat(second.awaitExit()).as(second.stderr()).isZero();
          await().atMost(Duration.ofSeconds(90)).until(() -> {
            List<String> now = containers();
            return now.size() == 2 && java.util.Collections.disjoint(now, before);
          });
          assertThat(third.stderr()).contains("auto-1 was made from what the docker provider no longer makes",
              "Scaled DOWN: removing auto-1", "Scaled DOWN: removing auto-2");
          HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/cgi-bin/slow?0"))
              .build(), HttpResponse.BodyHandlers.ofString());
          assertThat(again.statusCode()).isEqualTo(200);
          assertThat(third.terminate()).isZero();
        }
      }
    }
    assertThat(containers()).as("the last stc's stop removes them").isEmpty();
  }

  @Test
  void theContainersOfAKilledStcAreRemovedByTheNextOne() throws Exception {
    Path config = Files.writeString(dir.resolve("stc.yaml"), yaml("min: 2\nmax: 2\n"));
    List<String> orphans;
    try (StcProcess first = StcProcess.start("serve", "--config", config.toString())) {
      first.awaitListening();
      await().atMost(Duration.ofSeconds(60)).until(() -> containers().size() == 2);
      orphans = containers();
      // SIGKILL: no shutdown hook runs, nothing is stopped.
      ProcessHandle stcHandle = first.tree().get(0);
      stcHandle.destroyForcibly();
      stcHandle.onExit().get(10, TimeUnit.SECONDS);
    }
    assertThat(containers()).as("left running by the killed stc").containsExactlyInAnyOrderElementsOf(orphans);
    assertThat(engine.podman("inspect", "--format", "{{.State.Running}}", orphans.get(0)).strip()).isEqualTo("true");

    try (StcProcess second = StcProcess.start("serve", "--config", config.toString())) {
      int port = second.awaitListening();
      assertThat(containers()).doesNotContainAnyElementsOf(orphans);
      await().atMost(Duration.ofSeconds(60)).until(() -> containers().size() == 2);
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/cgi-bin/slow?0"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(second.stderr()).contains("left behind by an earlier stc");
      assertThat(second.terminate()).isZero();
    }
    assertThat(containers()).as("a clean stop removes them all").isEmpty();
  }
}
