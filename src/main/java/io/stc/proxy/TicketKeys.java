package io.stc.proxy;

import io.netty.handler.ssl.OpenSslSessionTicketKey;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The session ticket keys, kept in a file so that every stc replica reading it (a shared
 * {@code state_dir} or {@code tls.ticket_keys}) resumes the others' sessions, and so that a restart
 * keeps its clients' tickets.
 *
 * <p>The file lists keys oldest first: {@code <created, unix seconds> <48 bytes, base64>} per line.
 * The newest key only decrypts; the one before it encrypts new tickets; older ones decrypt. Every
 * {@code rotation} a replica that finds the newest key that old appends a fresh one (under a file
 * lock, written to a temporary file and moved into place) and drops all but the last three. A new key
 * is thus known to every replica for a whole rotation before any of them encrypts with it, as long as
 * each re-reads the file more often than that.
 */
final class TicketKeys {
  static final int KEEP = 3;
  private static final int KEY_BYTES = 48;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** One key: 16 bytes of name, 16 of HMAC secret, 16 of AES key. */
  record Key(long created, byte[] bytes) {
    OpenSslSessionTicketKey toOpenSsl() {
      return new OpenSslSessionTicketKey(
          Arrays.copyOfRange(bytes, 0, 16), Arrays.copyOfRange(bytes, 16, 32), Arrays.copyOfRange(bytes, 32, 48));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.created == created && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(created) * 31 + Arrays.hashCode(bytes);
    }
  }

  private final Path file;
  private final long rotationSeconds;
  private final LongSupplier epochSeconds;
  private volatile List<Key> keys = List.of();

  /** @param epochSeconds wall-clock time: the file is shared between processes and restarts */
  TicketKeys(Path file, Duration rotation, LongSupplier epochSeconds) {
    this.file = file;
    this.rotationSeconds = Math.max(1, rotation.toSeconds());
    this.epochSeconds = epochSeconds;
  }

  Path file() {
    return file;
  }

  /**
   * Reads the file, creating it or adding a key when a rotation is due.
   *
   * @return whether the keys differ from the ones read last time
   * @throws IOException when the file cannot be read, parsed or written
   */
  synchronized boolean refresh() throws IOException {
    List<Key> read = readFile();
    if (read.size() < 2 || due(read)) {
      read = rotateLocked();
    }
    if (read.equals(keys)) {
      return false;
    }
    keys = List.copyOf(read);
    return true;
  }

  /** The keys for OpenSSL: the encrypting one first, then the others. */
  OpenSslSessionTicketKey[] forOpenSsl() {
    List<Key> k = keys;
    if (k.isEmpty()) {
      return new OpenSslSessionTicketKey[0];
    }
    List<OpenSslSessionTicketKey> out = new ArrayList<>();
    int encrypting = k.size() >= 2 ? k.size() - 2 : k.size() - 1;
    out.add(k.get(encrypting).toOpenSsl());
    for (int i = k.size() - 1; i >= 0; i--) {
      if (i != encrypting) {
        out.add(k.get(i).toOpenSsl());
      }
    }
    return out.toArray(new OpenSslSessionTicketKey[0]);
  }

  /** The keys as last read, oldest first. */
  List<Key> keys() {
    return keys;
  }

  private boolean due(List<Key> k) {
    return k.isEmpty() || epochSeconds.getAsLong() - k.get(k.size() - 1).created() >= rotationSeconds;
  }

  /** Under the lock, re-reads the file (another replica may have rotated it) and rotates if still due. */
  private List<Key> rotateLocked() throws IOException {
    // File locks are held per JVM: two servers of one process (tests, or replicas in one JVM) take turns here first.
    synchronized (TicketKeys.class) {
      return rotateUnderFileLock();
    }
  }

  private List<Key> rotateUnderFileLock() throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path lock = dir.resolve("." + file.getFileName() + ".lock");
    try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = ch.lock()) {
      List<Key> k = new ArrayList<>(readFile());
      if (k.size() >= 2 && !due(k)) {
        return k;
      }
      long now = epochSeconds.getAsLong();
      if (k.isEmpty()) {
        // A first file: one key to encrypt with now, and the next one.
        k.add(newKey(now));
      }
      k.add(newKey(now));
      while (k.size() > KEEP) {
        k.remove(0);
      }
      write(dir, k);
      return k;
    }
  }

  private static Key newKey(long created) {
    byte[] b = new byte[KEY_BYTES];
    RANDOM.nextBytes(b);
    return new Key(created, b);
  }

  private void write(Path dir, List<Key> k) throws IOException {
    StringBuilder text = new StringBuilder(
        "# stc TLS session ticket keys, oldest first: <created, unix seconds> <48 bytes, base64>.\n"
            + "# Secret. Every stc sharing this file resumes the others' TLS sessions. Rotated by stc.\n");
    for (Key key : k) {
      text.append(key.created()).append(' ').append(Base64.getEncoder().encodeToString(key.bytes())).append('\n');
    }
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: its own defaults apply.
      }
      Files.writeString(tmp, text, StandardCharsets.US_ASCII);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private List<Key> readFile() throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      return List.of();
    }
    List<Key> out = new ArrayList<>();
    int n = 0;
    for (String line : lines) {
      n++;
      String l = line.trim();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      String[] parts = l.split("\\s+");
      try {
        byte[] b = Base64.getDecoder().decode(parts[1]);
        if (parts.length != 2 || b.length != KEY_BYTES) {
          throw new IllegalArgumentException("expected 48 bytes");
        }
        out.add(new Key(Long.parseLong(parts[0]), b));
      } catch (RuntimeException e) {
        throw new IOException(file + ":" + n + ": expected '<unix seconds> <48 bytes in base64>'");
      }
    }
    return out;
  }
}
