package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.OpenSslSessionTicketKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TicketKeysTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_700_000_000L);

  @Test
  void aNewFileHoldsTheKeyInUseAndTheNextOneAndIsForItsOwnerOnly() throws Exception {
    Path file = dir.resolve("state/tls-ticket-keys");
    TicketKeys keys = new TicketKeys(file, Duration.ofHours(1), now::get);
    assertThat(keys.refresh()).isTrue();
    assertThat(keys.keys()).hasSize(2);
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    // The older of the two encrypts; the newest is only known, for a rotation's time, before it does.
    assertThat(keys.forOpenSsl()[0].name()).isEqualTo(keys.keys().get(0).toOpenSsl().name());
    assertThat(keys.refresh()).isFalse();
  }

  @Test
  void rotationMakesTheNextKeyTheOneInUseAndKeepsThreeKeys() throws Exception {
    TicketKeys keys = new TicketKeys(dir.resolve("k"), Duration.ofHours(1), now::get);
    keys.refresh();
    List<TicketKeys.Key> first = keys.keys();
    now.addAndGet(3599);
    assertThat(keys.refresh()).isFalse();
    now.addAndGet(1);
    assertThat(keys.refresh()).isTrue();
    List<TicketKeys.Key> second = keys.keys();
    assertThat(second).hasSize(3).startsWith(first.get(0), first.get(1));
    // The key that was next now encrypts; the old one still decrypts.
    OpenSslSessionTicketKey[] openssl = keys.forOpenSsl();
    assertThat(openssl[0].name()).isEqualTo(first.get(1).toOpenSsl().name());
    assertThat(openssl).hasSize(3);
    now.addAndGet(3600);
    keys.refresh();
    assertThat(keys.keys()).hasSize(3).doesNotContain(first.get(0)).contains(first.get(1));
  }

  @Test
  void replicasSharingTheFileAgreeAndOnlyOneOfThemRotates() throws Exception {
    Path file = dir.resolve("shared");
    TicketKeys a = new TicketKeys(file, Duration.ofMinutes(10), now::get);
    TicketKeys b = new TicketKeys(file, Duration.ofMinutes(10), now::get);
    a.refresh();
    b.refresh();
    assertThat(b.keys()).isEqualTo(a.keys());
    now.addAndGet(600);
    a.refresh();
    b.refresh();
    assertThat(b.keys()).isEqualTo(a.keys()).hasSize(3);
    // A restart reads the same keys: its clients' tickets still open.
    assertThat(new TicketKeys(file, Duration.ofMinutes(10), now::get).refresh()).isTrue();
  }

  @Test
  void aDamagedFileIsReportedWithItsLine() throws Exception {
    Path file = Files.writeString(dir.resolve("bad"), "# comment\n1700000000 not-base64!\n");
    assertThatThrownBy(() -> new TicketKeys(file, Duration.ofHours(1), now::get).refresh())
        .hasMessageContaining("bad:2:");
  }
}
