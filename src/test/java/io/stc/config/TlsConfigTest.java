package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsConfigTest {
  @TempDir Path dir;

  @Test
  void readsListenerAndBackendTls() throws Exception {
    Path cert = Files.writeString(dir.resolve("c.pem"), "x");
    Path key = Files.writeString(dir.resolve("k.pem"), "x");
    Path config = Files.writeString(dir.resolve("stc.yaml"),
        "tls:\n  cert: " + cert + "\n  key: " + key + "\n  backends: true\n  backend_ca: " + cert + "\n  backend_verify: false\n");
    StcConfig.Tls tls = ConfigLoader.load(config).tls();
    assertThat(tls).isEqualTo(new StcConfig.Tls(cert.toString(), key.toString(), true, cert.toString(), false));
    assertThat(ConfigLoader.load(Files.writeString(dir.resolve("empty.yaml"), "")).tls().backends()).isFalse();
  }

  @Test
  void aCertWithoutAKeyOrAMissingFileIsReportedWithItsLine() throws Exception {
    Path cert = Files.writeString(dir.resolve("c.pem"), "x");
    assertThatThrownBy(() -> ConfigLoader.load(Files.writeString(dir.resolve("a.yaml"), "tls:\n  cert: " + cert + "\n")))
        .hasMessageContaining("a.yaml:2").hasMessageContaining("both cert and key");
    assertThatThrownBy(() -> ConfigLoader.load(Files.writeString(dir.resolve("b.yaml"), "tls:\n  backends: true\n  backend_ca: /nope.pem\n")))
        .hasMessageContaining("b.yaml:3").hasMessageContaining("tls.backend_ca");
  }
}
