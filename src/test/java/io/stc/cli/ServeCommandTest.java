package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.config.StcConfig;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

class ServeCommandTest {

  private static StcConfig resolve(String... args) {
    ServeCommand command = new ServeCommand();
    new CommandLine(command).parseArgs(args);
    return command.resolve();
  }

  @Test
  void transportFlagReplacesTheDefault() {
    assertThat(resolve().transport()).isEqualTo("auto");
    assertThat(resolve("--transport", "epoll").transport()).isEqualTo("epoll");
    assertThat(resolve("--transport", " nio ").transport()).isEqualTo("nio");
  }

  @Test
  void unknownTransportIsRefusedWithTheChoices() {
    assertThatThrownBy(() -> resolve("--transport", "kqueue"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--transport: expected auto, io_uring, epoll or nio, got 'kqueue'");
  }

  @Test
  void ioThreadsAreBounded() {
    assertThatThrownBy(() -> resolve("--io-threads", "2147483647"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--io-threads: expected 0 (one per core) to 256, got 2147483647");
  }

  @Test
  void aBadConfigExitsWith2BeforeAnythingStarts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("stc.yaml");
    java.nio.file.Files.writeString(file, "port: 0\naccess_log:\n  path: " + dir.resolve("missing/a.log") + "\n");
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream old = System.err;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    int code;
    try {
      code = new CommandLine(new ServeCommand()).execute("--config", file.toString());
    } finally {
      System.setErr(old);
    }
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains(file + ":3: access_log.path: directory");
    assertThat(dir.resolve("missing")).doesNotExist();
  }
}
