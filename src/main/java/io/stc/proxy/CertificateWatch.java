package io.stc.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Notices when one of the listener's certificate files may have changed, from what the file
 * system says of each file (its inode, size and modification time, following symbolic links), so
 * a Kubernetes secret volume that swaps a link beside the files, and an editor that writes a
 * temporary file and renames it, are seen; whether a certificate really changed is for
 * {@link TlsFingerprint} to say.
 *
 * <p>Not inotify on the files' directories: the JDK's watch service takes every event in the
 * directory, and a directory that also holds busy files (logs, a benchmark's output) kept its
 * thread busy beside the event loops, at 80k writes a second, for a file nobody asked about.
 */
final class CertificateWatch {
  private final List<Path> files;
  private final List<Object> stamps;

  private CertificateWatch(List<Path> files) {
    this.files = List.copyOf(files);
    this.stamps = new ArrayList<>(files.size());
    for (Path f : this.files) {
      stamps.add(stamp(f));
    }
  }

  /** Watches {@code files}, as they are now. */
  static CertificateWatch of(List<Path> files) {
    return new CertificateWatch(files);
  }

  /** Whether any file looks different from the last call (or from the start); a few stat calls, never blocks for long. */
  boolean changed() {
    boolean any = false;
    for (int i = 0; i < files.size(); i++) {
      Object now = stamp(files.get(i));
      if (!Objects.equals(now, stamps.get(i))) {
        stamps.set(i, now);
        any = true;
      }
    }
    return any;
  }

  /** What the file system says of one file, or the reason it cannot be read: a missing file that appears is a change too. */
  private static Object stamp(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(a.fileKey(), a.size(), a.lastModifiedTime().toInstant().getEpochSecond(),
          a.lastModifiedTime().toInstant().getNano());
    } catch (IOException e) {
      return e.getClass().getName();
    }
  }

  private record Stamp(Object key, long size, long modifiedSecond, int modifiedNano) {}
}
