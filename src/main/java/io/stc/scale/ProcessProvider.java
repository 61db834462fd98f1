package io.stc.scale;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each instance as a local process from a command template, on a free loopback port it picks:
 * {@code {port}} and {@code {name}} in the arguments are replaced. Output goes to
 * {@code <log_dir>/<name>-<port>.log}. An instance is started once its port accepts connections.
 *
 * <p>Stopping sends SIGTERM to the process and its descendants, SIGKILL after the grace period. An
 * instance that exits on its own is reported to the exit listeners. When stc exits, a shutdown
 * hook ends every instance; when stc is SIGKILLed (no hook runs), the next stc started with the
 * same log directory ends the instances left behind (see {@link PidFile}). A Java command gets a
 * class-data archive once a background training run has made it (see {@link ClassDataArchive}).
 * A new stc taking this one's place ({@code stc serve --takeover}) adopts the running instances
 * instead: this one lets them go ({@link #letGo}), that one watches and stops them from then on.
 */
public final class ProcessProvider implements InstanceProvider {
  private static final Logger log = LoggerFactory.getLogger(ProcessProvider.class);
  private static final String HOST = "127.0.0.1";
  private static final long POLL_MILLIS = 100;
  private static final long ADOPTED_POLL_MILLIS = 250;
  private static final Duration HOOK_GRACE = Duration.ofSeconds(5);

  /** One process this provider runs. */
  private static final class Running {
    final Instance instance;
    /** Null for a process another stc started and handed over: not this JVM's child. */
    final Process process;
    final ProcessHandle handle;
    final Path logFile;
    final Path pidFile;
    final CompletableFuture<Instance> started = new CompletableFuture<>();
    volatile boolean listening;
    volatile boolean stopping;
    /** Adopted from another stc that may still take it back: closing leaves it running. */
    volatile boolean borrowed;
    /** Handed to another stc: no longer this one's to watch. */
    volatile boolean handedOver;
    /** What it was made from ({@link #spec()} at its start, or as handed over). */
    final String spec;

    Running(Instance instance, Process process, ProcessHandle handle, Path logFile, Path pidFile, String spec) {
      this.instance = instance;
      this.spec = spec;
      this.process = process;
      this.handle = handle;
      this.logFile = logFile;
      this.pidFile = pidFile;
    }

    String exitDetail() {
      return (process != null ? "exit code " + process.exitValue() : "exited") + ", log: " + logFile;
    }
  }

  private static final Path SETSID = Path.of("/usr/bin/setsid");
  /** Between the command and its files' fingerprint in {@link #spec()}. */
  private static final String FILES = "\u0000files: ";

  private final List<String> command;
  private final Path logDir;
  private final Duration startTimeout;
  private final Duration stopTimeout;
  private final ScheduledExecutorService timer;
  /** Where processes are spawned, one at a time. */
  private final ExecutorService launcher;
  private final Map<Instance, Running> running = new ConcurrentHashMap<>();
  private final List<ExitListener> exitListeners = new CopyOnWriteArrayList<>();
  private final Thread shutdownHook;
  private final ClassDataArchive classArchive;
  private volatile boolean closed;

  /**
   * @param command the command and its arguments, with {@code {port}} (required) and {@code {name}} placeholders
   * @param startTimeout how long a process may take to accept connections
   * @param stopTimeout how long a process has between SIGTERM and SIGKILL
   */
  public ProcessProvider(List<String> command, Path logDir, Duration startTimeout, Duration stopTimeout) {
    if (command.isEmpty() || command.stream().noneMatch(a -> a.contains("{port}"))) {
      throw new IllegalArgumentException("the command must contain {port}: " + command);
    }
    this.command = List.copyOf(command);
    this.logDir = logDir;
    this.startTimeout = startTimeout;
    this.stopTimeout = stopTimeout;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stc-process-provider");
      t.setDaemon(true);
      return t;
    });
    this.launcher = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "stc-process-launch");
      t.setDaemon(true);
      return t;
    });
    PidFile.reapOrphans(logDir);
    PidFile.reapOrphans(ClassDataArchive.trainingDir(logDir));
    this.classArchive = ClassDataArchive.of(this.command, logDir);
    if (classArchive != null) {
      classArchive.trainInBackground();
    }
    this.shutdownHook = new Thread(this::killAll, "stc-instances-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  @Override
  public String kind() {
    return "process";
  }

  /**
   * Starts the process on the provider's launch thread, never the caller's: spawning a JVM while a
   * dozen others start took up to a second each, and the autoscaler that asked for fourteen went
   * without a measurement (and its concurrency without samples) for six.
   */
  @Override
  public CompletableFuture<Instance> start(String name) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("provider closed"));
    }
    CompletableFuture<Instance> started = new CompletableFuture<>();
    try {
      launcher.execute(() -> launchAndWatch(name, started));
    } catch (RejectedExecutionException e) {
      started.completeExceptionally(new IllegalStateException("provider closed"));
    }
    return started;
  }

  private void launchAndWatch(String name, CompletableFuture<Instance> started) {
    Running r;
    // One launch at a time, and never one that close() could miss: it takes the same lock.
    synchronized (this) {
      if (closed) {
        started.completeExceptionally(new IllegalStateException("provider closed"));
        return;
      }
      try {
        r = launch(name);
      } catch (IOException | RuntimeException e) {
        started.completeExceptionally(new IOException("cannot run " + command.get(0) + ": " + e.getMessage(), e));
        return;
      }
    }
    r.started.whenComplete((instance, error) -> {
      if (error != null) {
        started.completeExceptionally(error);
      } else {
        started.complete(instance);
      }
    });
    r.process.onExit().thenRun(() -> exited(r));
    long deadline = System.nanoTime() + startTimeout.toNanos();
    try {
      timer.execute(() -> awaitListening(r, deadline));
    } catch (RejectedExecutionException e) {
      r.started.completeExceptionally(new IllegalStateException(r.instance.name() + " was stopped while starting"));
    }
  }

  private Running launch(String name) throws IOException {
    int port = freePort();
    List<String> filled = command.stream()
        .map(a -> a.replace("{port}", Integer.toString(port)).replace("{name}", name))
        .toList();
    List<String> cmd = classArchive == null ? filled : classArchive.apply(filled);
    // What it is made from, taken before it starts: a build written over its files from now on is newer than it.
    String spec = spec();
    Files.createDirectories(logDir);
    Path logFile = logDir.resolve(name + "-" + port + ".log");
    Files.writeString(logFile, "# " + Instant.now() + " stc started: " + String.join(" ", cmd) + "\n");
    Process p = new ProcessBuilder(ownSession(cmd))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
    // Nothing is ever written to its stdin; closing it now would hand some programs an early EOF.
    Instance instance = new Instance(name, HOST, port);
    Path pidFile = PidFile.beside(logFile);
    Running r = new Running(instance, p, p.toHandle(), logFile, pidFile, spec);
    running.put(instance, r);
    try {
      PidFile.write(pidFile, p.toHandle());
    } catch (IOException e) {
      log.warn("cannot write {}: {}; if stc is killed, {} outlives it", pidFile, e.getMessage(), instance);
    }
    log.debug("started {} (pid {}): {}", instance, p.pid(), cmd);
    return r;
  }

  /**
   * The command run through setsid(1) where there is one: a terminal's Ctrl+C goes to its whole
   * foreground process group, and an instance in stc's group would die at once instead of being
   * drained and stopped by stc. setsid execs in place (the JVM's child is no group leader), so the
   * pid stays the instance's own.
   */
  private static List<String> ownSession(List<String> cmd) {
    if (!Files.isExecutable(SETSID) || !onPath(cmd.get(0))) {
      // Unwrapped, a program that cannot run fails in ProcessBuilder with its own clear message.
      return cmd;
    }
    List<String> wrapped = new ArrayList<>(cmd.size() + 1);
    wrapped.add(SETSID.toString());
    wrapped.addAll(cmd);
    return wrapped;
  }

  private static boolean onPath(String program) {
    if (program.contains("/")) {
      return Files.isExecutable(Path.of(program));
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  private void awaitListening(Running r, long deadline) {
    Instance i = r.instance;
    CompletableFuture<Instance> started = r.started;
    if (!r.process.isAlive()) {
      started.completeExceptionally(new IOException(
          i.name() + " exited with code " + r.process.exitValue() + " before listening on port " + i.port() + " (log: " + r.logFile + ")"));
      return;
    }
    if (r.stopping || closed) {
      started.completeExceptionally(new IllegalStateException(i.name() + " was stopped while starting"));
      return;
    }
    if (accepts(i.port())) {
      r.listening = true;
      started.complete(i);
      return;
    }
    if (System.nanoTime() - deadline >= 0) {
      r.stopping = true;
      ProcessTree.terminate(r.handle, stopTimeout, timer);
      started.completeExceptionally(new IOException(
          i.name() + " was not listening on port " + i.port() + " within " + startTimeout.toMillis() + " ms (log: " + r.logFile + ")"));
      return;
    }
    timer.schedule(() -> awaitListening(r, deadline), POLL_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void exited(Running r) {
    if (r.handedOver) {
      // Another stc's now: its pid file is that one's.
      return;
    }
    running.remove(r.instance, r);
    PidFile.delete(r.pidFile);
    if (r.stopping || !r.listening || closed) {
      // Asked to stop, or still starting (the start future reports it).
      return;
    }
    String detail = r.exitDetail();
    log.warn("{} exited on its own ({})", r.instance, detail);
    for (ExitListener l : exitListeners) {
      try {
        l.exited(r.instance, detail);
      } catch (RuntimeException e) {
        log.warn("exit listener failed for {}", r.instance, e);
      }
    }
  }

  @Override
  public CompletableFuture<Void> stop(Instance instance) {
    Running r = running.get(instance);
    if (r == null) {
      return CompletableFuture.completedFuture(null);
    }
    r.stopping = true;
    return ProcessTree.terminate(r.handle, stopTimeout, timer)
        .whenComplete((v, e) -> {
          running.remove(instance, r);
          PidFile.delete(r.pidFile);
        });
  }

  @Override
  public List<Instance> instances() {
    return running.values().stream().filter(r -> r.listening && !r.stopping).map(r -> r.instance).toList();
  }

  /** The process of a running instance, for inspection (and for tests that crash it on purpose). */
  public Optional<ProcessHandle> process(Instance instance) {
    Running r = running.get(instance);
    return r == null ? Optional.empty() : Optional.of(r.handle);
  }

  /** The log file of a running instance. */
  public Optional<Path> logFile(Instance instance) {
    Running r = running.get(instance);
    return r == null ? Optional.empty() : Optional.of(r.logFile);
  }

  @Override
  public boolean handsOver() {
    return true;
  }

  /**
   * The command template, as configured, and the sizes and times of the files it runs
   * ({@link CommandFiles}): a new version of the service is seen when the command changes (a
   * versioned path, a new flag) and when a new build is written over the same path.
   */
  @Override
  public String spec() {
    return String.join(" ", command) + FILES + CommandFiles.fingerprint(command);
  }

  @Override
  public String specOf(Instance instance) {
    Running r = running.get(instance);
    return r == null ? spec() : r.spec;
  }

  /** An earlier stc handed over the command alone: then the command is all that is compared. */
  @Override
  public boolean stillMakes(String handed) {
    String now = spec();
    return handed.contains(FILES) ? handed.equals(now) : handed.equals(now.substring(0, now.indexOf(FILES)));
  }

  /** The process's pid and start time (so a reused pid is never taken for it), then its log file. */
  @Override
  public String handle(Instance instance) {
    Running r = running.get(instance);
    if (r == null) {
      throw new IllegalArgumentException(instance + " is not running here");
    }
    return r.handle.pid() + " " + PidFile.started(r.handle) + " " + r.logFile;
  }

  @Override
  public void letGo(Instance instance) {
    Running r = running.remove(instance);
    if (r != null) {
      r.handedOver = true;
      log.info("{} (pid {}) handed over to the new stc; it goes on running", instance, r.handle.pid());
    }
  }

  @Override
  public void adopt(Handover handed) throws IOException {
    Instance instance = handed.instance();
    String[] parts = handed.handle().split(" ", 3);
    long pid;
    long start;
    try {
      pid = Long.parseLong(parts[0]);
      start = Long.parseLong(parts[1]);
    } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
      throw new IOException(instance + ": not a process handle: '" + handed.handle() + "'");
    }
    ProcessHandle p = PidFile.alive(pid, start)
        .orElseThrow(() -> new IOException(instance + ": its process (pid " + pid + ") is not running"));
    Path logFile = Path.of(parts[2]);
    Running r = new Running(instance, null, p, logFile, PidFile.beside(logFile), handed.spec());
    r.listening = true;
    r.borrowed = true;
    r.started.complete(instance);
    synchronized (this) {
      if (closed) {
        throw new IOException("provider closed");
      }
      running.put(instance, r);
    }
    log.info("took over {} (pid {}, log: {})", instance, pid, logFile);
    watchAdopted(r);
  }

  /**
   * Polls a process that is not this JVM's child: the JDK notices such a one's end only seconds
   * later (it sleeps up to 5 s between looks).
   */
  private void watchAdopted(Running r) {
    try {
      timer.schedule(() -> {
        if (running.get(r.instance) != r) {
          return;
        }
        if (r.handle.isAlive()) {
          watchAdopted(r);
        } else {
          exited(r);
        }
      }, ADOPTED_POLL_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Closed.
    }
  }

  @Override
  public void keepAdopted() {
    for (Running r : running.values()) {
      if (r.borrowed) {
        try {
          PidFile.write(r.pidFile, r.handle);
        } catch (IOException e) {
          log.warn("cannot write {}: {}; if stc is killed, {} outlives it", r.pidFile, e.getMessage(), r.instance);
        }
        r.borrowed = false;
      }
    }
  }

  @Override
  public void onExit(ExitListener listener) {
    exitListeners.add(listener);
  }

  /** Stops every instance (SIGTERM, SIGKILL after the stop timeout) and waits for them. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (classArchive != null) {
      classArchive.close();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook is running or about to.
    }
    // Launches still queued run, see the provider closed and fail their starts.
    launcher.shutdown();
    terminateAll(stopTimeout);
    timer.shutdownNow();
  }

  private void killAll() {
    closed = true;
    if (classArchive != null) {
      classArchive.close();
    }
    terminateAll(HOOK_GRACE.compareTo(stopTimeout) < 0 ? HOOK_GRACE : stopTimeout);
  }

  private synchronized void terminateAll(Duration grace) {
    // What another stc handed over and may still take back is left running: it is not this one's yet.
    List<Running> all = running.values().stream().filter(r -> !r.borrowed).toList();
    all.forEach(r -> {
      r.stopping = true;
      r.started.completeExceptionally(new IllegalStateException(r.instance.name() + " was stopped while starting"));
    });
    ProcessTree.terminateAndWait(all.stream().map(r -> r.handle).toList(), grace);
    all.forEach(r -> PidFile.delete(r.pidFile));
    running.clear();
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(HOST, port), (int) POLL_MILLIS);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * A port free right now. Another program could take it before the instance binds it; the
   * instance then fails to start (or exits) and is replaced on another port.
   */
  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }
}
