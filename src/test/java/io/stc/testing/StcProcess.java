package io.stc.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An stc command running as its own JVM from the built jar, for integration tests; stopped by its handle. */
public final class StcProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on https?://[^:]+:(\\d+)");

  private final Process process;
  private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
  private final Path stderrFile;
  private int port = -1;

  private StcProcess(Path workDir, List<String> jvmArgs, List<String> args) throws IOException {
    this(workDir, jvmArgs, args, java.util.Map.of());
  }

  private StcProcess(Path workDir, List<String> jvmArgs, List<String> args, java.util.Map<String, String> env) throws IOException {
    String jar = Path.of(System.getProperty("stc.jar", "target/stc.jar")).toAbsolutePath().toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-jar");
    cmd.add(jar);
    cmd.addAll(args);
    stderrFile = Files.createTempFile("stc-it-", ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(stderrFile.toFile());
    if (workDir != null) {
      pb.directory(workDir.toFile());
    }
    pb.environment().putAll(env);
    process = pb.start();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          stdout.add(line);
        }
      } catch (IOException ignored) {
        // The process ended.
      }
    }, "stc-it-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  public static StcProcess start(List<String> jvmArgs, String... args) throws IOException {
    return new StcProcess(null, jvmArgs, List.of(args));
  }

  public static StcProcess start(String... args) throws IOException {
    return new StcProcess(null, List.of(), List.of(args));
  }

  /** Starts in {@code workDir}, so relative paths (the state directory) land there. */
  public static StcProcess startIn(Path workDir, String... args) throws IOException {
    return new StcProcess(workDir, List.of(), List.of(args));
  }

  /** Starts in {@code workDir} with these environment variables added. */
  public static StcProcess startIn(Path workDir, java.util.Map<String, String> env, String... args) throws IOException {
    return new StcProcess(workDir, List.of(), List.of(args), env);
  }

  /** Waits for the "listening on" line and returns its port. */
  public int awaitListening() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String line = stdout.poll(200, TimeUnit.MILLISECONDS);
      if (line != null) {
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
          return port;
        }
      }
      if (!process.isAlive() && stdout.isEmpty()) {
        throw new IllegalStateException("process exited " + process.exitValue() + " before listening: " + stderr());
      }
    }
    throw new IllegalStateException("no listening line within 60 s: " + stderr());
  }

  public int port() {
    return port;
  }

  /** The process and every process it started that is still alive. */
  public java.util.List<ProcessHandle> tree() {
    java.util.List<ProcessHandle> all = new java.util.ArrayList<>();
    all.add(process.toHandle());
    process.toHandle().descendants().forEach(all::add);
    return all;
  }

  /** Waits for a stdout line matching {@code pattern} and returns the match. */
  public Matcher awaitLine(Pattern pattern) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String line = stdout.poll(200, TimeUnit.MILLISECONDS);
      if (line != null) {
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m;
        }
      }
      if (!process.isAlive() && stdout.isEmpty()) {
        throw new IllegalStateException("process exited " + process.exitValue() + " before printing " + pattern + ": " + stderr());
      }
    }
    throw new IllegalStateException("no line matching " + pattern + " within 60 s: " + stderr());
  }

  /** The stdout lines not yet read, once the process has ended. */
  public String remainingStdout() throws InterruptedException {
    awaitExit();
    // The reader thread may still be draining the pipe after exit.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    StringBuilder sb = new StringBuilder();
    String line;
    while ((line = stdout.poll(100, TimeUnit.MILLISECONDS)) != null || System.nanoTime() < deadline && sb.length() == 0) {
      if (line != null) {
        sb.append(line).append('\n');
      }
    }
    return sb.toString();
  }

  /** Waits for the process to end on its own and returns its exit code. */
  public int awaitExit() throws InterruptedException {
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("process still running after 60 s");
    }
    return process.exitValue();
  }

  /** Sends SIGTERM and returns the exit code. */
  public int terminate() throws InterruptedException {
    process.destroy();
    return awaitExit();
  }

  public String stderr() {
    try {
      return Files.readString(stderrFile);
    } catch (IOException e) {
      return "(stderr unreadable: " + e + ")";
    }
  }

  @Override
  public void close() throws IOException {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Files.deleteIfExists(stderrFile);
  }
}
