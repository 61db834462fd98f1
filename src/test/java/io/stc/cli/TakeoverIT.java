package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.testing.StcProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stc serve --takeover}: a new process takes the running one's listening sockets under load, twice, and no connection fails. */
class TakeoverIT {
  @TempDir Path dir;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * A free port below the kernel's ephemeral range (32768 up), from which the process provider
   * takes its instances' ports: one of those cannot land on it before stc binds it.
   */
  private static int freeFixedPort() throws Exception {
    java.util.Random random = new java.util.Random();
    for (int i = 0; i < 100; i++) {
      int port = 20_000 + random.nextInt(12_000);
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (java.io.IOException inUse) {
        // Another one.
      }
    }
    throw new IllegalStateException("no free port between 20000 and 32000");
  }

  /** Clients that open a connection per request as fast as they are answered, counting what came back whole and what did not. */
  private static final class Clients implements AutoCloseable {
    final AtomicLong ok = new AtomicLong();
    final ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    Clients(int port, int count) {
      for (int i = 0; i < count; i++) {
        Thread t = new Thread(() -> {
          while (running.get()) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
              s.setSoTimeout(10_000);
              OutputStream out = s.getOutputStream();
              out.write("GET /takeover HTTP/1.1\r\nHost: stc\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
              out.flush();
              InputStream in = s.getInputStream();
              String reply = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
              if (reply.startsWith("HTTP/1.1 200 ")) {
                ok.incrementAndGet();
              } else {
                failed.add(reply.isEmpty() ? "closed without an answer" : reply.lines().findFirst().orElse(""));
              }
            } catch (Exception e) {
              StringBuilder where = new StringBuilder(java.time.LocalTime.now() + " " + e);
              for (StackTraceElement f : e.getStackTrace()) {
                if (f.getClassName().startsWith("io.stc")) {
                  where.append(" at line ").append(f.getLineNumber());
                  break;
                }
              }
              failed.add(where.toString());
            }
          }
        }, "client-" + i);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(15_000);
      }
    }
  }

  @Test
  void aNewProcessTakesTheListenersUnderLoadAndTheOldOneDrainsAndExits() throws Exception {
    DemoBackend b0 = DemoBackend.started(BackendOptions.defaults().withName("b0"));
    DemoBackend b1 = DemoBackend.started(BackendOptions.defaults().withName("b1"));
    int port = freePort();
    int adminPort = freePort();
    Path config = dir.resolve("stc.yaml");
    Files.writeString(config, "host: 127.0.0.1\nport: " + port + "\nadmin: {port: " + adminPort + "}\n"
        + "state_dir: " + dir.resolve("state") + "\nhealth: {interval: 200ms, timeout: 500ms}\nbackends:\n"
        + "  - {host: 127.0.0.1, port: " + b0.port() + "}\n  - {host: 127.0.0.1, port: " + b1.port() + "}\n");
    StcProcess first = StcProcess.startIn(dir, "serve", "--config", config.toString());
    StcProcess second = null;
    StcProcess third = null;
    assertThat(first.awaitListening()).isEqualTo(port);
    try (Clients clients = new Clients(port, 4)) {
      await().atMost(Duration.ofSeconds(20)).until(() -> clients.ok.get() >= 200);

      second = StcProcess.startIn(dir, "serve", "--config", config.toString(), "--takeover");
      assertThat(second.awaitListening()).isEqualTo(port);
      assertThat(first.awaitExit()).as(first.stderr()).isZero();
      assertThat(first.stderr()).contains("handing 1 listening socket(s) to a new process", "stopping as on SIGTERM");
      long afterFirst = clients.ok.get();
      await().atMost(Duration.ofSeconds(20)).until(() -> clients.ok.get() >= afterFirst + 200);
      // The admin port went with it.
      HttpResponse<String> stats = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/api/stats")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(stats.statusCode()).isEqualTo(200);

      // And again, from a process that took over itself.
      third = StcProcess.startIn(dir, "serve", "--config", config.toString(), "--takeover");
      try {
        assertThat(third.awaitListening()).isEqualTo(port);
      } catch (IllegalStateException e) {
        throw new AssertionError(e.getMessage() + "\n--- the second's log:\n" + second.stderr() + "\n--- the first's:\n" + first.stderr());
      }
      assertThat(second.awaitExit()).as(second.stderr()).isZero();
      long afterSecond = clients.ok.get();
      await().atMost(Duration.ofSeconds(20)).until(() -> clients.ok.get() >= afterSecond + 200);
      clients.close();
      StcProcess a = first;
      StcProcess b = second;
      assertThat(clients.failed).as(() -> "requests that failed across two takeovers; the first's log:\n" + a.stderr()
          + "\nthe second's:\n" + b.stderr()).isEmpty();
      assertThat(third.stderr()).contains("accepting on the listening socket /127.0.0.1:" + port + " handed over");
    } finally {
      for (StcProcess p : new StcProcess[] {first, second, third}) {
        if (p != null) {
          p.close();
        }
      }
      b0.close();
      b1.close();
    }
  }

  @Test
  void aTakeoverThatFailsToStartLeavesTheRunningOneServingWithItsAdminPort() throws Exception {
    DemoBackend b0 = DemoBackend.started(BackendOptions.defaults().withName("b0"));
    int port = freePort();
    int adminPort = freePort();
    String rest = "\nadmin: {port: " + adminPort + "}\nstate_dir: " + dir.resolve("state")
        + "\nbackends:\n  - {host: 127.0.0.1, port: " + b0.port() + "}\n";
    Path config = dir.resolve("stc.yaml");
    Files.writeString(config, "host: 127.0.0.1\nport: " + port + rest);
    // The new process is to listen where something else already does: it takes the admin port, then cannot start.
    Path taken = dir.resolve("taken.yaml");
    try (ServerSocket occupied = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        StcProcess first = StcProcess.startIn(dir, "serve", "--config", config.toString())) {
      Files.writeString(taken, "host: 127.0.0.1\nport: " + occupied.getLocalPort() + rest);
      assertThat(first.awaitListening()).isEqualTo(port);
      try (StcProcess second = StcProcess.startIn(dir, "serve", "--config", taken.toString(), "--takeover")) {
        assertThat(second.awaitExit()).as(second.stderr()).isEqualTo(1);
        assertThat(second.stderr()).contains("stc serve: cannot start");
      }
      HttpClient http = HttpClient.newHttpClient();
      // The running one never stopped serving, and its admin API comes back.
      await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/api/stats")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/still")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      assertThat(first.stderr()).contains("the new process went away before it took over");
      // And a takeover after that one works as ever.
      try (StcProcess third = StcProcess.startIn(dir, "serve", "--config", config.toString(), "--takeover")) {
        assertThat(third.awaitListening()).isEqualTo(port);
        assertThat(first.awaitExit()).as(first.stderr()).isZero();
      }
    } finally {
      b0.close();
    }
  }

  /** The autoscaled instances by name, as the stc on {@code adminPort} lists them: id to port. */
  private static java.util.Map<String, Integer> instances(int adminPort) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/api/backends")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    java.util.Map<String, Integer> found = new java.util.TreeMap<>();
    for (com.fasterxml.jackson.databind.JsonNode b : new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body())) {
      if (b.path("state").asText().equals("up")) {
        found.put(b.path("id").asText(), b.path("port").asInt());
      }
    }
    return found;
  }

  /**
   * Ends every instance whose pid file is in {@code logs}: a failed assertion leaves the stc
   * processes to be killed (no shutdown hook stops their instances then), and instances a policy
   * started meanwhile are in no list of the test's.
   */
  private static void stopInstancesIn(Path logs) throws java.io.IOException {
    if (!Files.isDirectory(logs)) {
      return;
    }
    try (var files = Files.list(logs)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
        String[] parts = Files.readString(f).trim().split(" ");
        ProcessHandle.of(Long.parseLong(parts[0]))
            .filter(h -> h.info().startInstant().map(i -> i.toEpochMilli() == Long.parseLong(parts[1])).orElse(false))
            .ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  /** The process listening for an instance on {@code port}, found by its command line. */
  private static ProcessHandle instanceOn(int port) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains("backend --port " + port + " ")).orElse(false))
        .findFirst().orElseThrow(() -> new AssertionError("no instance process on port " + port));
  }

  /**
   * A config with autoscaled {@code stc backend} instances (health checked every 200 ms), up to the
   * end of the command's list, which the caller closes: {@code "]}\n"}, or more arguments first.
   */
  private String autoscaled(int port, int adminPort, int min, int max) {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String jar = Path.of(System.getProperty("stc.jar", "target/stc.jar")).toAbsolutePath().toString();
    return "host: 127.0.0.1\nport: " + port + "\nadmin: {port: " + adminPort + "}\nstate_dir: " + dir.resolve("state")
        + "\nhealth: {interval: 200ms, timeout: 500ms}\nautoscale:\n  enabled: true\n  min: " + min + "\n  max: " + max + "\n"
        + "  provider: {kind: process, log_dir: \"" + dir.resolve("instances") + "\", command: [\"" + javaBin
        + "\", \"-Xmx64m\", \"-XX:TieredStopAtLevel=1\", \"-jar\", \"" + jar
        + "\", \"backend\", \"--port\", \"{port}\", \"--name\", \"{name}\"";
  }

  @Test
  void autoscaledInstancesGoOverToTheNewProcessAndServeOnWithoutARestart() throws Exception {
    int port = freeFixedPort();
    int adminPort = freeFixedPort();
    Path config = Files.writeString(dir.resolve("stc.yaml"), autoscaled(port, adminPort, 2, 2) + "]}\n");
    Path taken = dir.resolve("taken.yaml");
    List<ProcessHandle> started = new CopyOnWriteArrayList<>();
    StcProcess first = StcProcess.startIn(dir, "serve", "--config", config.toString());
    StcProcess second = null;
    try (ServerSocket occupied = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThat(first.awaitListening()).isEqualTo(port);
      java.util.Map<String, Integer> before = instances(adminPort);
      assertThat(before).containsOnlyKeys("auto-1", "auto-2");
      before.values().forEach(p -> started.add(instanceOn(p)));
      try (Clients clients = new Clients(port, 4)) {
        await().atMost(Duration.ofSeconds(20)).until(() -> clients.ok.get() >= 200);

        // A new process that holds the instances, then cannot start: they stay the running one's, alive and scaled.
        Files.writeString(taken, autoscaled(occupied.getLocalPort(), adminPort, 2, 2) + "]}\n");
        try (StcProcess failing = StcProcess.startIn(dir, "serve", "--config", taken.toString(), "--takeover")) {
          assertThat(failing.awaitExit()).as(failing.stderr()).isEqualTo(1);
          assertThat(failing.stderr()).contains("took over auto-1", "took over auto-2", "stc serve: cannot start");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> first.stderr().contains("scaling resumed"));
        assertThat(started).allMatch(ProcessHandle::isAlive);

        second = StcProcess.startIn(dir, "serve", "--config", config.toString(), "--takeover");
        assertThat(second.awaitListening()).isEqualTo(port);
        assertThat(first.awaitExit()).as(first.stderr()).isZero();
        assertThat(first.stderr()).contains("scaling held: 2 instance(s)", "auto-1@127.0.0.1:" + before.get("auto-1") + " (pid "
            + started.get(0).pid() + ") handed over to the new stc");
        long afterFirst = clients.ok.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> clients.ok.get() >= afterFirst + 200);
        clients.close();
        StcProcess b = second;
        assertThat(clients.failed).as(() -> "requests that failed across the takeover; the first's log:\n" + first.stderr()
            + "\nthe second's:\n" + b.stderr()).isEmpty();
      }
      // The same processes serve on, in the new process's pool: none was stopped or started for the
      // change. (min = max: the load the clients make would let a policy add one, which is no takeover's doing.)
      assertThat(instances(adminPort)).isEqualTo(before);
      assertThat(started).allMatch(ProcessHandle::isAlive);
      assertThat(second.stderr()).doesNotContain("scaled_up", "auto-3");

      // They are the new process's now: one that dies is replaced, under a name of its own.
      started.get(0).destroyForcibly();
      await().atMost(Duration.ofSeconds(60)).until(() -> instances(adminPort).containsKey("auto-3"));
      started.add(instanceOn(instances(adminPort).get("auto-3")));
      // And stopping the new process stops them.
      assertThat(second.terminate()).as(second.stderr()).isZero();
      await().atMost(Duration.ofSeconds(20)).until(() -> started.stream().noneMatch(ProcessHandle::isAlive));
    } finally {
      first.close();
      if (second != null) {
        second.close();
      }
      started.forEach(ProcessHandle::destroyForcibly);
      stopInstancesIn(dir.resolve("instances"));
    }
  }

  @Test
  void aNewVersionOfTheServiceReplacesTheInstancesOneAtATimeWithNoRequestFailing() throws Exception {
    int port = freeFixedPort();
    int adminPort = freeFixedPort();
    String head = autoscaled(port, adminPort, 2, 3);
    Path v1 = Files.writeString(dir.resolve("v1.yaml"), head + "]}\n");
    // The new version: another command line.
    Path v2 = Files.writeString(dir.resolve("v2.yaml"), head + ", \"--delay\", \"0\"]}\n");
    List<ProcessHandle> all = new CopyOnWriteArrayList<>();
    StcProcess first = StcProcess.startIn(dir, "serve", "--config", v1.toString());
    StcProcess second = null;
    try {
      assertThat(first.awaitListening()).isEqualTo(port);
      java.util.Map<String, Integer> before = instances(adminPort);
      before.values().forEach(p -> all.add(instanceOn(p)));
      try (Clients clients = new Clients(port, 4)) {
        await().atMost(Duration.ofSeconds(20)).until(() -> clients.ok.get() >= 200);
        second = StcProcess.startIn(dir, "serve", "--config", v2.toString(), "--takeover");
        assertThat(second.awaitListening()).isEqualTo(port);
        assertThat(first.awaitExit()).as(first.stderr()).isZero();
        StcProcess s = second;
        // Every instance of the old version goes, each after one of the new one serves.
        await().atMost(Duration.ofSeconds(90)).until(() -> {
          java.util.Map<String, Integer> now = instances(adminPort);
          return now.size() >= 2 && java.util.Collections.disjoint(now.keySet(), before.keySet());
        });
        long after = clients.ok.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> clients.ok.get() >= after + 200);
        clients.close();
        assertThat(clients.failed).as(() -> "requests that failed across the roll; the new process's log:\n" + s.stderr()).isEmpty();
      }
      // The first with one more started for it; the second the same way, or, when the clients' load
      // has the policy fill the pool to max meanwhile, drained first.
      assertThat(second.stderr()).contains("auto-1 was made from what the process provider no longer makes",
          "auto-2 was made from what the process provider no longer makes", "replacing auto-1", "Scaled DOWN: removing auto-2");
      await().atMost(Duration.ofSeconds(20)).until(() -> all.stream().noneMatch(ProcessHandle::isAlive));
      instances(adminPort).values().forEach(p -> all.add(instanceOn(p)));
      assertThat(all.get(all.size() - 1).info().arguments().map(List::of).orElseThrow()).contains("--delay");
      assertThat(second.terminate()).as(second.stderr()).isZero();
      await().atMost(Duration.ofSeconds(20)).until(() -> all.stream().noneMatch(ProcessHandle::isAlive));
    } finally {
      first.close();
      if (second != null) {
        second.close();
      }
      all.forEach(ProcessHandle::destroyForcibly);
      stopInstancesIn(dir.resolve("instances"));
    }
  }

  @Test
  void withNothingRunningATakeoverSaysSoAndExits1() throws Exception {
    Path config = dir.resolve("stc.yaml");
    Files.writeString(config, "port: 0\nadmin: {port: 0}\nstate_dir: " + dir.resolve("state") + "\n");
    try (StcProcess p = StcProcess.startIn(dir, "serve", "--config", config.toString(), "--takeover")) {
      assertThat(p.awaitExit()).isEqualTo(1);
      assertThat(p.stderr()).contains("stc serve: --takeover: no stc answers at " + dir.resolve("state").resolve("stc.sock"));
    }
  }
}
