package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.config.StcConfig.BackendConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServersFileTest {
  @TempDir Path dir;

  @Test
  void readsTheJsonList() throws IOException {
    Path file = Files.writeString(dir.resolve("servers.json"), """
        [
          {"host": "localhost", "port": 3001, "weight": 2},
          {"host": "localhost", "port": 3002}
        ]
        """);

    assertThat(ServersFile.load(file)).containsExactly(
        new BackendConfig("localhost", 3001, 2), new BackendConfig("localhost", 3002, 1));
  }

  @Test
  void errorsNameLineAndEntry() throws IOException {
    Path file = Files.writeString(dir.resolve("servers.json"), """
        [
          {"host": "localhost", "port": 3001},
          {"host": "localhost", "port": "x"}
        ]
        """);

    assertThatThrownBy(() -> ServersFile.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ":3: [1].port: expected an integer from 1 to 65535, got 'x'");
  }

  @Test
  void rejectsWhatIsNotAList() throws IOException {
    Path object = Files.writeString(dir.resolve("object.json"), "{\"host\": \"a\"}");
    Path broken = Files.writeString(dir.resolve("broken.json"), "[\n{\"host\": \"a\", \"port\": 1},\n{\"host\" \"b\"}\n]");

    assertThatThrownBy(() -> ServersFile.load(object)).hasMessage(object + ":1: expected a list, got a mapping");
    assertThatThrownBy(() -> ServersFile.load(broken)).hasMessageStartingWith(broken + ":3: syntax error: ");
    assertThatThrownBy(() -> ServersFile.load(dir.resolve("none.json"))).hasMessageEndingWith("none.json: no such file");
  }
}
