package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminConfigTest {
  @TempDir Path dir;

  StcConfig load(String yaml) throws Exception {
    Path f = dir.resolve("stc.yaml");
    Files.writeString(f, yaml);
    return ConfigLoader.load(f);
  }

  @Test
  void defaultsAreLoopbackPort9090NoTokenNoAccessLog() throws Exception {
    StcConfig c = load("");
    assertThat(c.admin()).isEqualTo(StcConfig.Admin.defaults());
    assertThat(c.admin().host()).isEqualTo("127.0.0.1");
    assertThat(c.admin().port()).isEqualTo(9090);
    assertThat(c.admin().token()).isNull();
    assertThat(c.accessLog().enabled()).isFalse();
    assertThat(c.drainTimeout()).hasSeconds(30);
    assertThat(c.stateDir()).isEqualTo(".stc-state");
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> load("admin:\n  cors_origins: [ops.example.com]\n"))
        .hasMessageContaining("stc.yaml:2").hasMessageContaining("admin.cors_origins[0]");
    assertThatThrownBy(() -> load("access_log: {path: x.log, format: xml}\n"))
        .hasMessageContaining("access_log.format").hasMessageContaining("combined or json");
    assertThatThrownBy(() -> load("admin: {port: 70000}\n")).hasMessageContaining("admin.port");
    assertThatThrownBy(() -> load("admin: {token: \"  \"}\n")).hasMessageContaining("admin.token");
    assertThatThrownBy(() -> load("admin: {colour: red}\n")).hasMessageContaining("unknown key");
    assertThatThrownBy(() -> load("drain_timeout: soon\n")).hasMessageContaining("drain_timeout");
  }
}
