package io.stc.admin;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends to a log file and follows it when it is rotated: once the path names another file, or
 * none (logrotate's default moves the file away and creates a new one, or leaves that to the
 * program), the next {@link #followRotation} closes the old file and opens the path again, as
 * Python's WatchedFileHandler does, so no signal is needed. Truncation in place
 * ({@code copytruncate}) needs nothing: the file is opened for appending. Used by one thread.
 */
final class LogFileWriter extends Writer {
  private static final Logger log = LoggerFactory.getLogger(LogFileWriter.class);

  /** What {@link #key} says when the path names no file. */
  private static final Object MISSING = new Object();
  /** What {@link #key} says of a file on a file system without file keys: only its absence is seen. */
  private static final Object NO_KEY = new Object();

  private final Path path;
  private Writer out;
  /** What identifies the open file (device and inode), or {@link #NO_KEY}. */
  private Object openKey;
  private boolean warnedMissingDirectory;

  LogFileWriter(Path path) throws IOException {
    this.path = path;
    open();
  }

  private void open() throws IOException {
    out = new OutputStreamWriter(
        Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND), StandardCharsets.UTF_8);
    openKey = key();
  }

  /** The key of the file the path names now; {@link #MISSING} when there is none. */
  private Object key() throws IOException {
    try {
      Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
      return key == null ? NO_KEY : key;
    } catch (NoSuchFileException e) {
      return MISSING;
    }
  }

  /**
   * Reopens the path when it no longer names the open file. Whatever was written stays in the old
   * file (flushed first). Should the path's directory be gone, it keeps writing where it was.
   */
  void followRotation() throws IOException {
    Object now = key();
    if (now != MISSING && now.equals(openKey)) {
      return;
    }
    if (!Files.isDirectory(path.toAbsolutePath().getParent())) {
      if (!warnedMissingDirectory) {
        warnedMissingDirectory = true;
        log.warn("access log {}: its directory is gone; still writing to the file it was", path);
      }
      return;
    }
    warnedMissingDirectory = false;
    out.flush();
    out.close();
    open();
    log.info("access log {} reopened: the file was {}", path, now == MISSING ? "moved away" : "replaced");
  }

  @Override
  public void write(char[] cbuf, int off, int len) throws IOException {
    out.write(cbuf, off, len);
  }

  @Override
  public Writer append(CharSequence csq) throws IOException {
    out.append(csq);
    return this;
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
