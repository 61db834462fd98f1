package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessProviderIT {
  static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
  static final String JAR = System.getProperty("stc.jar", "target/stc.jar");

  @TempDir Path logs;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<ProcessHandle> seen = new ArrayList<>();
  private ProcessProvider provider;

  /** {@code stc backend} from the built jar, as a provider command. */
  static List<String> backendCommand() {
    return List.of(JAVA, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-jar", JAR, "backend", "--port", "{port}", "--name", "{name}");
  }

  @AfterEach
  void cleanUp() {
    if (provider != null) {
      provider.close();
    }
    // Belt and braces: nothing this test started may outlive it.
    seen.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  private ProcessHandle handle(Instance i) {
    ProcessHandle h = provider.process(i).orElseThrow();
    seen.add(h);
    h.descendants().forEach(seen::add);
    return h;
  }

  private List<Path> pidFiles() throws IOException {
    try (Stream<Path> files = Files.list(logs)) {
      return files.filter(f -> f.toString().endsWith(".pid")).toList();
    }
  }

  @Test
  void startsRealBackendsAndStopsThemLeavingNoProcess() throws Exception {
    provider = new ProcessProvider(backendCommand(), logs, Duration.ofSeconds(60), Duration.ofSeconds(10));
    CompletableFuture<Instance> startA = provider.start("it-1");
    CompletableFuture<Instance> startB = provider.start("it-2");
    Instance a = startA.get(60, TimeUnit.SECONDS);
    Instance b = startB.get(60, TimeUnit.SECONDS);
    ProcessHandle ha = handle(a);
    ProcessHandle hb = handle(b);

    HttpResponse<String> hello = http.send(
        HttpRequest.newBuilder(URI.create("http://" + a.address() + "/hello")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(hello.statusCode()).isEqualTo(200);
    assertThat(hello.body()).contains("\"server\":\"it-1\"");
    assertThat(provider.instances()).containsExactlyInAnyOrder(a, b);
    Path logA = provider.logFile(a).orElseThrow();
    assertThat(logA.getFileName().toString()).isEqualTo("it-1-" + a.port() + ".log");
    assertThat(Files.readString(logA)).contains("backend it-1 listening on http://127.0.0.1:" + a.port());
    assertThat(pidFiles()).hasSize(2);

    provider.stop(a).get(30, TimeUnit.SECONDS);
    assertThat(ha.isAlive()).isFalse();
    assertThat(provider.instances()).containsExactly(b);
    assertThat(pidFiles()).hasSize(1);
    // A stopped instance is not reported as having died on its own... nor is one stopped by close().
    List<Instance> exits = new ArrayList<>();
    provider.onExit((i, detail) -> exits.add(i));
    provider.close();
    assertThat(hb.isAlive()).isFalse();
    assertThat(pidFiles()).isEmpty();
    assertThat(exits).isEmpty();
    assertThat(Files.readString(logA)).startsWith("# ").contains(" stc started: " + JAVA);
  }

  @Test
  void anInstanceHandedToAnotherProviderOutlivesTheFirstAndIsTheOthersToWatch() throws Exception {
    provider = new ProcessProvider(backendCommand(), logs, Duration.ofSeconds(60), Duration.ofSeconds(10));
    Instance a = provider.start("handed").get(60, TimeUnit.SECONDS);
    ProcessHandle h = handle(a);
    Path log = provider.logFile(a).orElseThrow();
    Handover handed = new Handover(a, provider.handle(a), provider.spec());
    assertThat(handed.handle()).isEqualTo(h.pid() + " " + h.info().startInstant().orElseThrow().toEpochMilli() + " " + log);
    assertThat(Handover.fromJson(handed.toJson())).isEqualTo(handed);

    // Adopted but not yet let go by the first: a taker that closes leaves it running.
    ProcessProvider borrower = new ProcessProvider(backendCommand(), logs, Duration.ofSeconds(60), Duration.ofSeconds(10));
    borrower.adopt(handed);
    assertThat(borrower.instances()).containsExactly(a);
    borrower.close();
    assertThat(h.isAlive()).isTrue();
    assertThat(provider.instances()).containsExactly(a);

    ProcessProvider taker = new ProcessProvider(backendCommand(), logs, Duration.ofSeconds(60), Duration.ofSeconds(10));
    try {
      // A handle whose start time is not the process's own (a reused pid) is no instance of ours.
      assertThatThrownBy(() -> taker.adopt(new Handover(a, h.pid() + " 1 " + log, provider.spec())))
          .isInstanceOf(IOException.class).hasMessageContaining("is not running");
      taker.adopt(handed);
      provider.letGo(a);
      provider.close();
      assertThat(h.isAlive()).isTrue();
      assertThat(pidFiles()).hasSize(1);
      taker.keepAdopted();
      CompletableFuture<String> exit = new CompletableFuture<>();
      taker.onExit((i, detail) -> exit.complete(i.name() + ": " + detail));
      // Not its child, so not the JDK's to reap and report soon: the taker notices on its own.
      h.destroyForcibly();
      assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo("handed: exited, log: " + log);
      assertThat(taker.instances()).isEmpty();
      assertThat(pidFiles()).isEmpty();
    } finally {
      taker.close();
    }
  }

  @Test
  void closingWhileStartsAreUnderWayLeavesNoProcess() throws Exception {
    provider = new ProcessProvider(backendCommand(), logs, Duration.ofSeconds(60), Duration.ofSeconds(10));
    String tag = "closing-" + ProcessHandle.current().pid() + "-";
    List<CompletableFuture<Instance>> starts = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      starts.add(provider.start(tag + i));
    }
    // Processes are spawned on the provider's own thread, one at a time: close() once the first is
    // spawned must catch every one, spawned, being spawned or still queued.
    await().atMost(Duration.ofSeconds(30)).until(() -> !pidFiles().isEmpty());
    provider.close();
    for (CompletableFuture<Instance> start : starts) {
      // Failed, not left hanging: a timeout would be a TimeoutException.
      assertThat(start).failsWithin(Duration.ofSeconds(30)).withThrowableOfType(ExecutionException.class);
    }
    assertThat(pidFiles()).isEmpty();
    assertThat(ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().orElse("").contains("--name " + tag))
        .filter(ProcessHandle::isAlive)
        .toList()).isEmpty();
    assertThat(provider.start("after-close")).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class);
  }

  @Test
  void anInstanceThatDiesOnItsOwnIsReported() throws Exception {
    provider = new ProcessProvider(backendCommand(), logs, Duration.ofSeconds(60), Duration.ofSeconds(10));
    CompletableFuture<String> exit = new CompletableFuture<>();
    provider.onExit((i, detail) -> exit.complete(i.name() + ": " + detail));
    Instance a = provider.start("crashy").get(60, TimeUnit.SECONDS);

    handle(a).destroyForcibly();
    assertThat(exit.get(30, TimeUnit.SECONDS)).startsWith("crashy: exit code 137, log: " + logs.resolve("crashy-" + a.port() + ".log"));
    assertThat(provider.instances()).isEmpty();
    await().atMost(Duration.ofSeconds(10)).until(() -> pidFiles().isEmpty());
  }

  @Test
  void anInstanceRunsInItsOwnProcessGroupSoATerminalsCtrlCReachesOnlyStc() throws Exception {
    provider = new ProcessProvider(backendCommand(), logs, Duration.ofSeconds(60), Duration.ofSeconds(10));
    Instance i = provider.start("own-group").get(60, TimeUnit.SECONDS);
    ProcessHandle h = handle(i);
    assertThat(h.info().command()).as("setsid exec'd in place: the pid is the instance's").hasValueSatisfying(c -> assertThat(c).endsWith("java"));
    assertThat(processGroup(h.pid())).isEqualTo(h.pid()).isNotEqualTo(processGroup(ProcessHandle.current().pid()));
  }

  /** Field 5 of /proc/PID/stat, counted after the ") " that ends the command name. */
  private static long processGroup(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    return Long.parseLong(stat.substring(stat.lastIndexOf(") ") + 2).split(" ")[2]);
  }

  @Test
  void stopEndsTheWholeProcessTree() throws Exception {
    List<String> viaShell = List.of("sh", "-c", "sleep 300 & exec '" + JAVA + "' -Xmx64m -jar '" + JAR + "' backend --port {port}");
    provider = new ProcessProvider(viaShell, logs, Duration.ofSeconds(60), Duration.ofSeconds(10));
    Instance i = provider.start("tree").get(60, TimeUnit.SECONDS);
    ProcessHandle root = handle(i);
    List<ProcessHandle> children = root.descendants().toList();
    assertThat(children).as("the sleep started by the shell").isNotEmpty();

    provider.stop(i).get(30, TimeUnit.SECONDS);
    assertThat(root.isAlive()).isFalse();
    assertThat(children).noneMatch(ProcessHandle::isAlive);
  }

  @Test
  void aProcessThatExitsBeforeListeningFailsToStart() {
    provider = new ProcessProvider(List.of("sh", "-c", "echo no luck; exit 3", "{port}"), logs, Duration.ofSeconds(30), Duration.ofSeconds(5));
    assertThatThrownBy(() -> provider.start("quitter").get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .hasMessageStartingWith("quitter exited with code 3 before listening on port ")
        .hasMessageContaining("log: " + logs.resolve("quitter-"));
    assertThat(provider.instances()).isEmpty();
  }

  @Test
  void aProcessThatNeverListensIsKilledAtStartTimeout() throws Exception {
    provider = new ProcessProvider(List.of("sh", "-c", "exec sleep 300", "{port}"), logs, Duration.ofMillis(500), Duration.ofSeconds(5));
    assertThatThrownBy(() -> provider.start("sleeper").get(30, TimeUnit.SECONDS))
        .cause()
        .hasMessageStartingWith("sleeper was not listening on port ")
        .hasMessageContaining("within 500 ms");
    await().atMost(Duration.ofSeconds(10)).until(() -> pidFiles().isEmpty());
  }

  @Test
  void aMissingCommandIsAClearError() {
    provider = new ProcessProvider(List.of("/no/such/stc-binary", "{port}"), logs, Duration.ofSeconds(5), Duration.ofSeconds(5));
    assertThatThrownBy(() -> provider.start("ghost").get(5, TimeUnit.SECONDS))
        .cause()
        .hasMessageStartingWith("cannot run /no/such/stc-binary: ");
  }
}
