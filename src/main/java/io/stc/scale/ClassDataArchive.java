package io.stc.scale;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A class-data sharing archive for instances that are Java programs: the classes a started
 * instance loads, parsed and verified once and mapped by every later JVM, which halves the time
 * to its first answer (about 2 s to 1 s for {@code stc backend} here). The archive is made by one
 * training run of the command in the background ({@code -XX:ArchiveClassesAtExit}: started, asked
 * for {@code /} and {@code /health}, stopped); until it exists, instances start without it. It is
 * named after the command, its JVM and its class path files (size and time), so a rebuilt jar or
 * another JVM trains a new one. Each instance start marks its archive used; a new archive drops
 * the ones not used for {@link #UNUSED_FOR} and all but the {@link #KEPT} used last (about 20 MB
 * each: a cache fed by every rebuilt jar grew to 760 MB).
 */
final class ClassDataArchive implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClassDataArchive.class);
  private static final String HOST = "127.0.0.1";
  private static final long TRAINING_MILLIS = 60_000;
  /** Archives of the cache not used for this long go when a new one is made. */
  static final Duration UNUSED_FOR = Duration.ofDays(7);
  /** At most this many archives stay in the cache, the ones used last. */
  static final int KEPT = 8;

  private final List<String> command;
  private final Path archive;
  private final Path logDir;
  private volatile Process training;
  private volatile boolean closed;

  private ClassDataArchive(List<String> command, Path archive, Path logDir) {
    this.command = command;
    this.archive = archive;
    this.logDir = logDir;
  }

  /**
   * The archive of {@code command}, kept in the user's cache ({@code $XDG_CACHE_HOME/stc/cds}, else
   * {@code ~/.cache/stc/cds}; {@code logDir/cds} when that cannot be written) so every stc with the
   * same command shares one; the training run logs in {@code logDir/cds}, with a pid file, so a
   * SIGKILLed stc's run is ended by the next. Null when the command is not a {@code java} launch,
   * already chooses its own class sharing, or has a directory on its class path (the JVM refuses to
   * write an archive then, "non-empty directory", after the whole training run: a run from
   * {@code target/classes} would train and fail at every start).
   */
  static ClassDataArchive of(List<String> command, Path logDir) {
    return of(command, logDir, cacheDir(logDir));
  }

  /** As {@link #of(List, Path)}, with the archive in {@code archiveDir}. */
  static ClassDataArchive of(List<String> command, Path logDir, Path archiveDir) {
    if (command.isEmpty() || !Path.of(command.get(0)).getFileName().toString().equals("java")) {
      return null;
    }
    for (String a : command) {
      if (a.startsWith("-XX:SharedArchiveFile") || a.startsWith("-Xshare") || a.startsWith("-XX:ArchiveClassesAtExit")) {
        return null;
      }
    }
    if (CommandFiles.classPath(command).stream().anyMatch(Files::isDirectory)) {
      log.debug("no class-data archive: the instance command's class path has a directory");
      return null;
    }
    return new ClassDataArchive(command, archiveDir.resolve("instance-" + key(command) + ".jsa"), logDir);
  }

  /** Where the training run writes its log and pid file: {@code <logDir>/cds}. */
  static Path trainingDir(Path logDir) {
    return logDir.resolve("cds");
  }

  private static Path cacheDir(Path logDir) {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    Path dir = base.resolve("stc").resolve("cds");
    try {
      Files.createDirectories(dir);
      if (Files.isWritable(dir)) {
        return dir;
      }
    } catch (IOException e) {
      // Falls back to the state directory below.
    }
    return trainingDir(logDir);
  }

  /** {@code cmd} (the command with its placeholders filled) using the archive, once it exists. */
  List<String> apply(List<String> cmd) {
    if (!Files.isRegularFile(archive)) {
      return cmd;
    }
    try {
      // Marks it used, so a cleaning of the cache keeps it.
      Files.setLastModifiedTime(archive, FileTime.from(Instant.now()));
    } catch (IOException e) {
      // Only the cleaning reads the time.
    }
    List<String> out = new ArrayList<>(cmd);
    out.add(1, "-XX:SharedArchiveFile=" + archive);
    return out;
  }

  /** Starts the training run on a thread of its own, unless the archive exists. */
  void trainInBackground() {
    if (Files.isRegularFile(archive)) {
      return;
    }
    Thread t = new Thread(this::train, "stc-class-archive");
    t.setDaemon(true);
    t.start();
  }

  private void train() {
    Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
    Path lockFile = archive.resolveSibling(archive.getFileName() + ".lock");
    Path logFile = trainingDir(logDir).resolve("training.log");
    Path pidFile = PidFile.beside(logFile);
    boolean mine = false;
    try (java.nio.channels.FileChannel lockChannel = java.nio.channels.FileChannel.open(Files.createDirectories(archive.getParent())
            .resolve(lockFile.getFileName()), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock lock = lockChannel.tryLock()) {
      if (lock == null || Files.isRegularFile(archive)) {
        // Another stc is training this very archive, or just did.
        return;
      }
      mine = true;
      Files.createDirectories(logFile.getParent());
      Files.deleteIfExists(tmp);
      int port = freePort();
      List<String> cmd = new ArrayList<>();
      for (String a : command) {
        cmd.add(a.replace("{port}", Integer.toString(port)).replace("{name}", "class-archive-training"));
      }
      cmd.add(1, "-XX:ArchiveClassesAtExit=" + tmp);
      long started = System.nanoTime();
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
      training = p;
      PidFile.write(pidFile, p.toHandle());
      if (closed) {
        p.destroyForcibly();
        return;
      }
      if (!exercise(p, port)) {
        p.destroyForcibly();
        log.info("class-data archive not made: the training run did not listen on port {} (log: {})", port, logFile);
        return;
      }
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return;
      }
      if (Files.size(tmp) > 0 && !closed) {
        Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        log.info("class-data archive {} made in {} ms; instances started from now on use it",
            archive, (System.nanoTime() - started) / 1_000_000);
        prune(archive.getParent(), archive, Instant.now());
      }
    } catch (java.nio.channels.OverlappingFileLockException e) {
      // Another provider in this JVM is training it.
    } catch (IOException e) {
      log.info("class-data archive not made: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      training = null;
      if (mine) {
        PidFile.delete(pidFile);
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          // A stray temporary file is overwritten next time.
        }
      }
    }
  }

  /**
   * Deletes the archives of {@code dir} other than {@code keep} that were last used before {@code
   * now} minus {@link #UNUSED_FOR}, or are beyond the {@link #KEPT} used last; and lock files that
   * old whose archive is gone.
   * A JVM that maps one keeps its mapping; one started with a deleted archive runs without it.
   */
  static void prune(Path dir, Path keep, Instant now) {
    Instant cutoff = now.minus(UNUSED_FOR);
    List<Path> archives = list(dir, ".jsa");
    archives.remove(keep);
    Map<Path, Instant> used = new HashMap<>();
    for (Path a : archives) {
      used.put(a, modified(a));
    }
    archives.sort(Comparator.comparing(used::get).reversed());
    for (int i = 0; i < archives.size(); i++) {
      Path a = archives.get(i);
      // keep counts as one of the KEPT.
      if (i + 1 >= KEPT || used.get(a).isBefore(cutoff)) {
        try {
          Files.deleteIfExists(a);
        } catch (IOException e) {
          log.debug("class-data archive {} not deleted: {}", a, e.getMessage());
        }
      }
    }
    // Lock files go only once old: a fresh one may be another stc's, training an archive that was
    // just deleted here; no training runs for days.
    for (Path lock : list(dir, ".jsa.lock")) {
      Path of = lock.resolveSibling(lock.getFileName().toString().replace(".lock", ""));
      try {
        if (!Files.exists(of) && modified(lock).isBefore(cutoff)) {
          Files.deleteIfExists(lock);
        }
      } catch (IOException e) {
        // Left for the next cleaning.
      }
    }
  }

  /** The files of {@code dir} named {@code instance-*} ending in {@code suffix}. */
  private static List<Path> list(Path dir, String suffix) {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.filter(f -> f.getFileName().toString().startsWith("instance-") && f.getFileName().toString().endsWith(suffix))
          .forEach(out::add);
    } catch (IOException e) {
      // Nothing to clean.
    }
    return out;
  }

  private static Instant modified(Path f) {
    try {
      return Files.getLastModifiedTime(f).toInstant();
    } catch (IOException e) {
      return Instant.EPOCH;
    }
  }

  /** Waits for the port, then sends what an instance gets first: a request and a health check. */
  private boolean exercise(Process p, int port) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TRAINING_MILLIS);
    while (p.isAlive() && !closed && System.nanoTime() < deadline) {
      if (get(port, "/") && get(port, "/health")) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  private static boolean get(int port, String path) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(HOST, port), 200);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      while (in.read(buf) >= 0) {
        // Read the whole answer, so its classes load too.
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** What the archive depends on: the command, the JVM and every class path file's size and time. */
  private static String key(List<String> command) {
    StringBuilder k = new StringBuilder(String.join("\u0000", command));
    Path launcher = Path.of(command.get(0));
    Path home = launcher.toAbsolutePath().getParent() == null ? null : launcher.toAbsolutePath().getParent().getParent();
    List<Path> files = new ArrayList<>(List.of(launcher));
    if (home != null) {
      files.add(home.resolve("release"));
      files.add(home.resolve("lib/server/libjvm.so"));
    }
    files.addAll(CommandFiles.classPath(command));
    for (Path f : files) {
      try {
        k.append('\u0000').append(f).append(':').append(Files.size(f)).append(':').append(Files.getLastModifiedTime(f).toMillis());
      } catch (IOException e) {
        k.append('\u0000').append(f).append(":absent");
      }
    }
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(k.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  Path path() {
    return archive;
  }

  /** Ends a training run still going; the archive it was making is dropped. */
  @Override
  public void close() {
    closed = true;
    Process p = training;
    if (p != null) {
      p.destroyForcibly();
    }
  }
}
