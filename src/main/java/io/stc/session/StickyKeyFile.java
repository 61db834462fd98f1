package io.stc.session;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The cookie-signing secret kept in the state directory, so cookies outlive restarts: generated
 * once, readable by its owner only, then reused by every start (and by every instance sharing the
 * directory).
 */
final class StickyKeyFile {
  static final String FILE_NAME = "sticky.key";
  static final int KEY_BYTES = 32;

  private StickyKeyFile() {}

  /** The key in {@code stateDir}, created first if there is none; IllegalStateException with a clear message when unusable. */
  static byte[] loadOrCreate(Path stateDir) {
    if (Files.exists(stateDir) && !Files.isDirectory(stateDir)) {
      throw new IllegalStateException("state directory " + stateDir + " is a file, not a directory");
    }
    Path file = stateDir.resolve(FILE_NAME);
    try {
      if (!Files.exists(file)) {
        create(stateDir, file);
      }
      return read(file);
    } catch (IOException e) {
      throw new IllegalStateException("sticky key file " + file + ": " + describe(e), e);
    }
  }

  private static void create(Path dir, Path file) throws IOException {
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    if (!Files.isDirectory(dir)) {
      if (posix) {
        Files.createDirectories(dir, ownerOnly("rwx------"));
      } else {
        Files.createDirectories(dir);
      }
    }
    byte[] key = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(key);
    byte[] text = (Base64.getUrlEncoder().withoutPadding().encodeToString(key) + "\n").getBytes(StandardCharsets.US_ASCII);
    Path tmp = posix
        ? Files.createTempFile(dir, FILE_NAME, ".tmp", ownerOnly("rw-------"))
        : Files.createTempFile(dir, FILE_NAME, ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(text));
        ch.force(true);
      }
      // A hard link appears complete or not at all and never replaces a file, so when two
      // instances start together on one directory both end up with the first one's key.
      try {
        Files.createLink(file, tmp);
      } catch (UnsupportedOperationException e) {
        Files.move(tmp, file);
      }
    } catch (FileAlreadyExistsException e) {
      // another instance was first: use its key
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static FileAttribute<?> ownerOnly(String permissions) {
    return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions));
  }

  private static byte[] read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
    byte[] key;
    try {
      key = Base64.getUrlDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      key = new byte[0];
    }
    if (key.length < SessionCookie.MIN_KEY_BYTES) {
      throw new IllegalStateException("sticky key file " + file + ": not a key written by stc (expected at least "
          + SessionCookie.MIN_KEY_BYTES + " bytes in base64url); delete it to generate a new one, "
          + "which ends all current sticky sessions");
    }
    return key;
  }

  private static String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage();
  }
}
