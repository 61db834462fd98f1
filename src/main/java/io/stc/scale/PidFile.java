package io.stc.scale;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file beside an instance's log naming the instance's process and the stc that owns it, both by
 * pid and start time (so a reused pid is never mistaken for them).
 *
 * <p>A shutdown hook cannot run when stc itself is SIGKILLed, so its instances outlive it; the next
 * stc using the same directory finds their pid files, sees the owner gone, and ends them.
 */
final class PidFile {
  private static final Logger log = LoggerFactory.getLogger(PidFile.class);
  private static final String SUFFIX = ".pid";

  private PidFile() {}

  /** Writes the pid file for {@code child}, owned by this JVM, at {@code path}. */
  static void write(Path path, ProcessHandle child) throws IOException {
    ProcessHandle self = ProcessHandle.current();
    Files.writeString(path, child.pid() + " " + started(child) + " " + self.pid() + " " + started(self) + "\n");
  }

  static Path beside(Path logFile) {
    String name = logFile.getFileName().toString();
    return logFile.resolveSibling(name.substring(0, name.length() - ".log".length()) + SUFFIX);
  }

  static void delete(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.debug("cannot delete {}: {}", path, e.toString());
    }
  }

  /** Ends the instances in {@code dir} whose owning stc is gone, and forgets their pid files. */
  static void reapOrphans(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    List<ProcessHandle> orphans = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path f : files) {
        String[] parts = Files.readString(f).trim().split(" ");
        if (parts.length != 4) {
          continue;
        }
        long ownerStart = Long.parseLong(parts[3]);
        if (ownerStart == 0 || alive(Long.parseLong(parts[2]), ownerStart).isPresent()) {
          // The owner runs (or cannot be told from a reused pid): its instances are its business.
          continue;
        }
        alive(Long.parseLong(parts[0]), Long.parseLong(parts[1])).ifPresent(p -> {
          log.warn("stopping instance pid {} left running by an stc that ended without stopping it ({})", p.pid(), f);
          orphans.add(p);
        });
        delete(f);
      }
    } catch (IOException | RuntimeException e) {
      log.warn("cannot check {} for instances left running: {}", dir, e.toString());
    }
    if (!orphans.isEmpty()) {
      ProcessTree.terminateAndWait(orphans, Duration.ofSeconds(5));
    }
  }

  /** The live process with this pid and start time; empty when gone, reused, or its start time is unknown. */
  static Optional<ProcessHandle> alive(long pid, long startMillis) {
    if (startMillis == 0) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> started(p) == startMillis);
  }

  static long started(ProcessHandle p) {
    return p.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }
}
