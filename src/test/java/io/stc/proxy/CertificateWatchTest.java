package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateWatchTest {
  @TempDir Path dir;

  @Test
  void filesBesideTheCertificatesThatChangeAllTheTimeAreNotAChange() throws Exception {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "cert one");
    Path key = Files.writeString(dir.resolve("tls.key"), "key one");
    Path log = dir.resolve("access.log");
    CertificateWatch watch = CertificateWatch.of(List.of(cert, key));
    for (int i = 0; i < 1000; i++) {
      Files.writeString(log, "line " + i + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }
    Files.writeString(dir.resolve("other.crt"), "someone else's");
    assertThat(watch.changed()).isFalse();
  }

  @Test
  void aFileRewrittenInPlaceOrRenamedOverIsAChangeOnce() throws Exception {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "cert one");
    Path key = Files.writeString(dir.resolve("tls.key"), "key one");
    CertificateWatch watch = CertificateWatch.of(List.of(cert, key));
    assertThat(watch.changed()).isFalse();

    // A different size: the file system's clock may not tick between two writes this close.
    Files.writeString(key, "key number two");
    assertThat(watch.changed()).isTrue();
    assertThat(watch.changed()).isFalse();

    // An editor's way: a temporary file renamed over the certificate (a new inode).
    Path tmp = Files.writeString(dir.resolve(".tls.crt.swp"), "cert one");
    Files.move(tmp, cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    assertThat(watch.changed()).isTrue();
    assertThat(watch.changed()).isFalse();
  }

  @Test
  void aKubernetesSecretVolumeSwappingItsDataLinkIsAChange() throws Exception {
    // The kubelet's layout: tls.crt -> ..data/tls.crt, ..data -> ..2026_12_07_1; an update writes a
    // new timestamped directory and renames a new ..data link over the old one.
    Path v1 = Files.createDirectory(dir.resolve("..2026_12_07_1"));
    Files.writeString(v1.resolve("tls.crt"), "cert one");
    Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Path cert = Files.createSymbolicLink(dir.resolve("tls.crt"), Path.of("..data/tls.crt"));
    CertificateWatch watch = CertificateWatch.of(List.of(cert));

    Path v2 = Files.createDirectory(dir.resolve("..2026_12_07_2"));
    Files.writeString(v2.resolve("tls.crt"), "cert one");
    Path next = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
    assertThat(watch.changed()).isFalse();
    Files.move(next, dir.resolve("..data"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    assertThat(watch.changed()).isTrue();
    assertThat(watch.changed()).isFalse();
  }

  @Test
  void aFileThatGoesAndComesBackIsAChangeEachTime() throws Exception {
    Path cert = dir.resolve("tls.crt");
    CertificateWatch watch = CertificateWatch.of(List.of(cert));
    assertThat(watch.changed()).isFalse();
    Files.writeString(cert, "cert one");
    assertThat(watch.changed()).isTrue();
    Files.delete(cert);
    assertThat(watch.changed()).isTrue();
    assertThat(watch.changed()).isFalse();
  }
}
