package io.stc.proxy;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Notices changes in the directories that hold the listener's certificate files (inotify on
 * Linux). Any change there counts, not only to the files themselves: a Kubernetes secret volume
 * swaps a symbolic link beside them, and an editor writes a temporary file and renames it.
 * Whether a certificate really changed is for {@link TlsFingerprint} to say.
 */
final class CertificateWatch implements AutoCloseable {
  private final WatchService service;

  private CertificateWatch(WatchService service) {
    this.service = service;
  }

  /** Watches the directories of {@code files}. */
  static CertificateWatch of(List<Path> files) throws IOException {
    Set<Path> dirs = new LinkedHashSet<>();
    for (Path f : files) {
      Path dir = f.toAbsolutePath().getParent();
      if (dir != null) {
        dirs.add(dir);
      }
    }
    WatchService service = FileSystems.getDefault().newWatchService();
    try {
      for (Path dir : dirs) {
        dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
            StandardWatchEventKinds.ENTRY_DELETE);
      }
    } catch (IOException | RuntimeException e) {
      service.close();
      throw e;
    }
    return new CertificateWatch(service);
  }

  /** Whether anything changed in a watched directory since the last call; never blocks. */
  boolean changed() {
    boolean any = false;
    WatchKey key;
    while ((key = service.poll()) != null) {
      any |= !key.pollEvents().isEmpty();
      key.reset();
    }
    return any;
  }

  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      // Closing a watch: nothing to do about a failure.
    }
  }
}
