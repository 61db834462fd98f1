package io.stc.scale;

import com.fasterxml.jackson.databind.JsonNode;
import io.stc.config.DockerConfig;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each instance as a container through the Docker Engine API: created from the configured
 * image with stc's labels, started, and reached on a port published on 127.0.0.1 (or on the
 * host's network, or at its address on a user network). An instance is started once its port
 * accepts connections.
 *
 * <p>Stopping asks the engine to stop the container (SIGTERM, SIGKILL after the stop timeout) and
 * then removes it. The engine's container list is polled once a second: a container of this
 * provider that stopped on its own is reported to the exit listeners (and removed). Every
 * container carries the label {@value #OWNER_LABEL} naming this stc's state directory; when stc
 * was killed without stopping them, the next stc with the same state directory removes them as it
 * starts. A new stc taking this one's place ({@code stc serve --takeover}) adopts the running
 * containers instead, by id.
 */
public final class DockerProvider implements InstanceProvider {
  private static final Logger log = LoggerFactory.getLogger(DockerProvider.class);
  static final String OWNER_LABEL = "io.stc.owner";
  static final String INSTANCE_LABEL = "io.stc.instance";
  private static final String HOST = "127.0.0.1";
  private static final long POLL_MILLIS = 100;
  private static final long WATCH_MILLIS = 1000;
  private static final Duration HOOK_GRACE = Duration.ofSeconds(5);

  /** One container this provider runs. */
  private static final class Running {
    final String name;
    final String id;
    final CompletableFuture<Instance> started = new CompletableFuture<>();
    volatile Instance instance;
    volatile boolean listening;
    volatile boolean stopping;
    /** Adopted from another stc that may still take it back: closing leaves it running. */
    volatile boolean borrowed;

    Running(String name, String id) {
      this.name = name;
      this.id = id;
    }
  }

  private final DockerConfig config;
  private final DockerEngine engine;
  private final String owner;
  private final Duration startTimeout;
  private final Duration stopTimeout;
  private final ScheduledExecutorService timer;
  private final Map<String, Running> running = new ConcurrentHashMap<>();
  private final List<ExitListener> exitListeners = new CopyOnWriteArrayList<>();
  private final Thread shutdownHook;
  private final ContainerSpec spec;
  private volatile CompletableFuture<Void> imageReady;
  private volatile boolean closed;

  private DockerProvider(DockerConfig config, DockerEngine engine, String owner, Duration startTimeout, Duration stopTimeout) {
    this.config = config;
    this.engine = engine;
    this.owner = owner;
    this.startTimeout = startTimeout;
    this.stopTimeout = stopTimeout;
    this.spec = new ContainerSpec(config, owner);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stc-docker-provider");
      t.setDaemon(true);
      return t;
    });
    this.shutdownHook = new Thread(this::removeAllOnExit, "stc-containers-shutdown");
  }

  /**
   * Connects to the engine, removes the containers an earlier stc with the same state directory
   * left behind, and starts watching.
   *
   * @throws IllegalStateException when the engine cannot be reached or refuses, with its message
   */
  public static DockerProvider connect(DockerConfig config, String stateDir, Duration startTimeout, Duration stopTimeout) {
    return connect(config, stateDir, startTimeout, stopTimeout, false);
  }

  /**
   * As {@link #connect(DockerConfig, String, Duration, Duration)}; {@code takingOver}: another stc
   * with the same state directory runs and hands its containers over ({@code stc serve
   * --takeover}), so none is left behind: those it keeps are its own to remove.
   */
  public static DockerProvider connect(
      DockerConfig config, String stateDir, Duration startTimeout, Duration stopTimeout, boolean takingOver) {
    DockerEngine engine = DockerEngine.at(config.engine());
    DockerProvider p = new DockerProvider(config, engine, ownerOf(stateDir), startTimeout, stopTimeout);
    try {
      engine.call(HttpMethod.GET, "/version", null).get(30, TimeUnit.SECONDS);
      if (!takingOver) {
        p.reapOrphans();
      }
    } catch (Exception e) {
      p.close();
      throw new IllegalStateException("docker provider: " + cause(e).getMessage(), cause(e));
    }
    Runtime.getRuntime().addShutdownHook(p.shutdownHook);
    p.timer.scheduleWithFixedDelay(p::watch, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
    log.info("docker provider: engine {}, image {}, owner label {}={}", engine.address(), config.image(), OWNER_LABEL, p.owner);
    return p;
  }

  /** The owner label's value: this machine and state directory, so two stc's never take each other's containers. */
  static String ownerOf(String stateDir) {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    String key = host + ":" + Path.of(stateDir).toAbsolutePath().normalize();
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The value of the {@value #OWNER_LABEL} label on this provider's containers. */
  public String owner() {
    return owner;
  }

  @Override
  public String kind() {
    return "docker";
  }

  private void reapOrphans() throws Exception {
    JsonNode list = listOwn().get(30, TimeUnit.SECONDS);
    int n = 0;
    for (JsonNode c : list) {
      String id = c.path("Id").asText();
      log.warn("removing container {} ({}) left behind by an earlier stc with this state directory",
          c.path("Names").path(0).asText(id), c.path("State").asText());
      engine.call(HttpMethod.DELETE, "/containers/" + id + "?force=true&v=true", null).get(30, TimeUnit.SECONDS);
      n++;
    }
    if (n > 0) {
      log.info("docker provider: removed {} orphaned containers", n);
    }
  }

  private CompletableFuture<JsonNode> listOwn() {
    String filters = "{\"label\":[\"" + OWNER_LABEL + "=" + owner + "\"]}";
    return engine.call(HttpMethod.GET, "/containers/json?all=true&filters=" + DockerEngine.encode(filters), null);
  }

  @Override
  public CompletableFuture<Instance> start(String name) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("provider closed"));
    }
    int hostPort;
    try {
      hostPort = config.hostNetwork() ? freePort() : 0;
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Instance> result = new CompletableFuture<>();
    ensureImage()
        .thenCompose(v -> engine.call(HttpMethod.POST, "/containers/create?name=" + DockerEngine.encode(spec.containerName(name)),
            spec.create(name, hostPort)))
        .whenComplete((created, error) -> {
          if (error != null) {
            result.completeExceptionally(new IOException("cannot create a container of " + config.image() + ": "
                + cause(error).getMessage(), cause(error)));
            return;
          }
          Running r = new Running(name, created.path("Id").asText());
          running.put(r.id, r);
          r.started.whenComplete((i, e) -> {
            if (e != null) {
              result.completeExceptionally(e);
            } else {
              result.complete(i);
            }
          });
          engine.call(HttpMethod.POST, "/containers/" + r.id + "/start", null)
              .thenCompose(v -> engine.call(HttpMethod.GET, "/containers/" + r.id + "/json", null))
              .whenComplete((inspected, e) -> {
                if (e != null) {
                  fail(r, "cannot start container " + shortId(r.id) + ": " + cause(e).getMessage());
                  return;
                }
                try {
                  r.instance = new Instance(name, addressOf(inspected, hostPort), portOf(inspected, hostPort));
                } catch (IllegalStateException bad) {
                  fail(r, bad.getMessage());
                  return;
                }
                long deadline = System.nanoTime() + startTimeout.toNanos();
                timer.execute(() -> awaitListening(r, deadline));
              });
        });
    return result;
  }

  /** Checks (and with {@code pull: missing} fetches) the image once; a failure is retried on the next start. */
  private CompletableFuture<Void> ensureImage() {
    CompletableFuture<Void> ready = imageReady;
    if (ready != null && !ready.isCompletedExceptionally()) {
      return ready;
    }
    ready = engine.call(HttpMethod.GET, "/images/" + config.image() + "/json", null)
        .<Void>thenApply(i -> null)
        .exceptionallyCompose(e -> {
          if (!(cause(e) instanceof DockerEngine.EngineError err) || err.status != 404) {
            return CompletableFuture.failedFuture(cause(e));
          }
          if (config.pull() == DockerConfig.Pull.NEVER) {
            return CompletableFuture.failedFuture(new IOException("image " + config.image()
                + " is not on the engine and autoscale.provider.pull is never"));
          }
          log.info("pulling {} ...", config.image());
          return engine.raw(HttpMethod.POST, "/images/create?" + ContainerSpec.pullQuery(config.image()), null, Duration.ofMinutes(10))
              .thenCompose(progress -> {
                String error = ContainerSpec.pullError(progress.toString(StandardCharsets.UTF_8));
                return error == null ? CompletableFuture.<Void>completedFuture(null)
                    : CompletableFuture.failedFuture(new IOException("cannot pull " + config.image() + ": " + error));
              });
        });
    imageReady = ready;
    return ready;
  }

  private String addressOf(JsonNode inspected, int hostPort) {
    if (config.network() == null || config.hostNetwork()) {
      return HOST;
    }
    String ip = inspected.path("NetworkSettings").path("Networks").path(config.network()).path("IPAddress").asText("");
    if (ip.isEmpty()) {
      throw new IllegalStateException("container " + shortId(inspected.path("Id").asText()) + " has no address on network " + config.network());
    }
    return ip;
  }

  private int portOf(JsonNode inspected, int hostPort) {
    if (config.hostNetwork()) {
      return hostPort;
    }
    if (config.network() != null) {
      return config.port();
    }
    JsonNode bindings = inspected.path("NetworkSettings").path("Ports").path(config.port() + "/tcp");
    for (JsonNode b : bindings) {
      String p = b.path("HostPort").asText("");
      if (!p.isEmpty() && !p.equals("0")) {
        return Integer.parseInt(p);
      }
    }
    throw new IllegalStateException("container " + shortId(inspected.path("Id").asText()) + " has no host port for " + config.port() + "/tcp");
  }

  private void awaitListening(Running r, long deadline) {
    if (r.stopping || closed) {
      r.started.completeExceptionally(new IllegalStateException(r.name + " was stopped while starting"));
      return;
    }
    Instance i = r.instance;
    if (accepts(i)) {
      r.listening = true;
      r.started.complete(i);
      return;
    }
    if (System.nanoTime() - deadline >= 0) {
      fail(r, r.name + " (container " + shortId(r.id) + ") was not listening on " + i.address() + " within "
          + startTimeout.toMillis() + " ms");
      return;
    }
    // Still running? A container that exited fails its start at once, with its last output.
    engine.call(HttpMethod.GET, "/containers/" + r.id + "/json", null).whenComplete((c, e) -> {
      if (e == null && !c.path("State").path("Running").asBoolean(true)) {
        exitDetail(r.id, c).whenComplete((detail, ignored) -> fail(r, r.name + " (container " + shortId(r.id)
            + ") exited before listening: " + detail));
        return;
      }
      timer.schedule(() -> awaitListening(r, deadline), POLL_MILLIS, TimeUnit.MILLISECONDS);
    });
  }

  /** The start failed: nothing is left running. */
  private void fail(Running r, String message) {
    r.stopping = true;
    r.started.completeExceptionally(new IOException(message));
    remove(r, Duration.ZERO);
  }

  /** Once a second: containers of this provider that ended without being asked to are reported and removed. */
  private void watch() {
    if (closed || running.isEmpty()) {
      return;
    }
    try {
      JsonNode list = listOwn().get(10, TimeUnit.SECONDS);
      Map<String, JsonNode> byId = new java.util.HashMap<>();
      for (JsonNode c : list) {
        byId.put(c.path("Id").asText(), c);
      }
      for (Running r : List.copyOf(running.values())) {
        JsonNode c = byId.get(r.id);
        boolean alive = c != null && c.path("State").asText().equals("running");
        if (alive || r.stopping || !r.listening) {
          continue;
        }
        r.stopping = true;
        String detail = c == null ? "container " + shortId(r.id) + " is gone" : exitDetail(r.id, null).get(10, TimeUnit.SECONDS);
        running.remove(r.id, r);
        log.warn("{} exited on its own ({})", r.instance, detail);
        for (ExitListener l : exitListeners) {
          try {
            l.exited(r.instance, detail);
          } catch (RuntimeException e) {
            log.warn("exit listener failed for {}", r.instance, e);
          }
        }
        remove(r, Duration.ZERO);
      }
    } catch (Exception e) {
      log.warn("docker provider: cannot list containers: {}", cause(e).getMessage());
    }
  }

  /** How a container ended: its exit code, whether it ran out of memory, its last lines of output. */
  private CompletableFuture<String> exitDetail(String id, JsonNode inspected) {
    CompletableFuture<JsonNode> state = inspected != null ? CompletableFuture.completedFuture(inspected)
        : engine.call(HttpMethod.GET, "/containers/" + id + "/json", null);
    return state.thenCombine(
        engine.raw(HttpMethod.GET, "/containers/" + id + "/logs?stdout=true&stderr=true&tail=5", null, Duration.ofSeconds(10))
            .thenApply(b -> ContainerSpec.logText(b.getBytes()))
            .exceptionally(e -> ""),
        (c, logs) -> {
          JsonNode s = c.path("State");
          String text = "container " + shortId(id) + ", exit code " + s.path("ExitCode").asInt()
              + (s.path("OOMKilled").asBoolean() ? ", out of memory" : "");
          return logs.isBlank() ? text : text + ", last output: " + logs.strip().replace('\n', '|');
        })
        .exceptionally(e -> "container " + shortId(id) + ": " + cause(e).getMessage());
  }

  @Override
  public CompletableFuture<Void> stop(Instance instance) {
    Running r = find(instance);
    if (r == null) {
      return CompletableFuture.completedFuture(null);
    }
    r.stopping = true;
    return remove(r, stopTimeout);
  }

  /** Stops the container ({@code grace} between SIGTERM and SIGKILL; zero kills at once), then deletes it. */
  private CompletableFuture<Void> remove(Running r, Duration grace) {
    long seconds = Math.max(0, (grace.toMillis() + 999) / 1000);
    return engine.call(HttpMethod.POST, "/containers/" + r.id + "/stop?t=" + seconds, null, grace.plusSeconds(30))
        .handle((v, e) -> {
          if (e != null && !(cause(e) instanceof DockerEngine.EngineError err && err.status == 404)) {
            log.debug("stop of {} answered: {}", shortId(r.id), cause(e).getMessage());
          }
          return null;
        })
        .thenCompose(v -> engine.call(HttpMethod.DELETE, "/containers/" + r.id + "?force=true&v=true", null))
        .handle((v, e) -> {
          running.remove(r.id, r);
          if (e != null && !(cause(e) instanceof DockerEngine.EngineError err && err.status == 404)) {
            log.warn("cannot remove container {} of {}: {}", shortId(r.id), r.name, cause(e).getMessage());
          }
          return null;
        });
  }

  private Running find(Instance instance) {
    for (Running r : running.values()) {
      if (instance.equals(r.instance)) {
        return r;
      }
    }
    return null;
  }

  @Override
  public List<Instance> instances() {
    return running.values().stream().filter(r -> r.listening && !r.stopping).map(r -> r.instance).toList();
  }

  /** The id of the container running {@code instance}, for inspection (and for tests that kill it on purpose). */
  public java.util.Optional<String> containerId(Instance instance) {
    Running r = find(instance);
    return r == null ? java.util.Optional.empty() : java.util.Optional.of(r.id);
  }

  @Override
  public void onExit(ExitListener listener) {
    exitListeners.add(listener);
  }

  @Override
  public boolean handsOver() {
    return true;
  }

  /** The image and how its containers are made (environment, network, port, labels). */
  @Override
  public String spec() {
    return config.toString();
  }

  /** The container's id. */
  @Override
  public String handle(Instance instance) {
    Running r = find(instance);
    if (r == null) {
      throw new IllegalArgumentException(instance + " is not running here");
    }
    return r.id;
  }

  @Override
  public void letGo(Instance instance) {
    Running r = find(instance);
    if (r != null) {
      running.remove(r.id, r);
      log.info("{} (container {}) handed over to the new stc; it goes on running", instance, shortId(r.id));
    }
  }

  /** Takes over a running container of this provider's owner label: one another stc with the same state directory made. */
  @Override
  public void adopt(Handover handed) throws IOException {
    String id = handed.handle();
    // Its name says it is this owner's too: the owner is in it. Asked up to three times: once in CI
    // podman's answer for one of two containers made alike lacked the label (what it held instead
    // is not known); the message below says what came.
    String ownName = "/" + spec.containerName(handed.instance().name());
    JsonNode c = null;
    String label = "";
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        if (attempt > 0) {
          Thread.sleep(200);
        }
        c = engine.call(HttpMethod.GET, "/containers/" + DockerEngine.encode(id) + "/json", null).get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      } catch (Exception e) {
        throw new IOException(handed.instance() + ": container " + shortId(id) + ": " + cause(e).getMessage());
      }
      label = c.path("Config").path("Labels").path(OWNER_LABEL).asText();
      if (owner.equals(label) || ownName.equals(c.path("Name").asText())) {
        break;
      }
      log.warn("container {} of {}: the engine's answer does not say it is ours (its {} '{}', its name '{}', {}); asking again",
          shortId(id), handed.instance(), OWNER_LABEL, label, c.path("Name").asText(),
          c.isObject() ? c.size() + " fields" : "not an object: " + c.getNodeType());
    }
    if (!owner.equals(label) && !ownName.equals(c.path("Name").asText())) {
      throw new IOException(handed.instance() + ": container " + shortId(id) + " is not this state directory's (its "
          + OWNER_LABEL + " is '" + label + "', its name '" + c.path("Name").asText() + "')");
    }
    if (!c.path("State").path("Running").asBoolean()) {
      throw new IOException(handed.instance() + ": container " + shortId(id) + " is not running");
    }
    Running r = new Running(handed.instance().name(), c.path("Id").asText(id));
    r.instance = handed.instance();
    r.listening = true;
    r.borrowed = true;
    r.started.complete(r.instance);
    synchronized (this) {
      if (closed) {
        throw new IOException("provider closed");
      }
      running.put(r.id, r);
    }
    log.info("took over {} (container {})", r.instance, shortId(r.id));
  }

  @Override
  public void keepAdopted() {
    running.values().forEach(r -> r.borrowed = false);
  }

  /** Stops and removes every container (SIGTERM, SIGKILL after the stop timeout) and waits for them. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // Shutting down (the hook runs), or it was never added.
    }
    removeAll(stopTimeout);
    timer.shutdownNow();
    engine.close();
  }

  private void removeAllOnExit() {
    closed = true;
    removeAll(HOOK_GRACE.compareTo(stopTimeout) < 0 ? HOOK_GRACE : stopTimeout);
  }

  private void removeAll(Duration grace) {
    // What another stc handed over and may still take back is left running: it is not this one's yet.
    List<Running> all = running.values().stream().filter(r -> !r.borrowed).toList();
    all.forEach(r -> {
      r.stopping = true;
      r.started.completeExceptionally(new IllegalStateException(r.name + " was stopped while starting"));
    });
    try {
      CompletableFuture.allOf(all.stream().map(r -> remove(r, grace)).toArray(CompletableFuture[]::new))
          .get(grace.toSeconds() + 40, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("docker provider: containers may be left behind ({}); the next stc with this state directory removes them",
          cause(e).getMessage());
    }
    running.clear();
  }

  private static boolean accepts(Instance i) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(i.host(), i.port()), (int) POLL_MILLIS);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }

  private static Throwable cause(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
