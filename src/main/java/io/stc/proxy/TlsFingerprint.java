package io.stc.proxy;

import io.stc.config.TlsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * What the listener's certificate set was built from: its settings and a digest of the contents of
 * every file it read. Equal fingerprints mean there is nothing to rebuild; a changed file, even one
 * replaced through a symbolic link (as Kubernetes updates mounted secrets), means there is.
 */
record TlsFingerprint(String settings, String contents) {

  /** The certificate, key and client CA files of the listener's configuration. */
  static List<Path> files(TlsConfig tls) {
    List<Path> files = new ArrayList<>();
    for (TlsConfig.Certificate c : tls.certificates()) {
      files.add(Path.of(c.cert()));
      if (c.key() != null) {
        files.add(Path.of(c.key()));
      }
    }
    if (tls.clientCa() != null) {
      files.add(Path.of(tls.clientCa()));
    }
    return files;
  }

  /**
   * Reads every file of {@code tls}.
   *
   * @throws IOException when one cannot be read
   */
  static TlsFingerprint of(TlsConfig tls) throws IOException {
    // Everything the set is built from, except the backend side and the watch switch.
    String settings = Arrays.asList(
            tls.certificates(), tls.provider(), tls.protocols(), tls.clientAuth(), tls.clientCa(),
            tls.sessions().resumption(), tls.sessions().cacheSize(), tls.sessions().timeout(), tls.sessions().ticketKeys(),
            tls.sessions().ticketKeyRotation())
        .toString();
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (Path f : files(tls)) {
      byte[] content = Files.readAllBytes(f);
      sha.update(f.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(Long.toString(content.length).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      sha.update((byte) 0);
      sha.update(content);
    }
    return new TlsFingerprint(settings, HexFormat.of().formatHex(sha.digest()));
  }
}
