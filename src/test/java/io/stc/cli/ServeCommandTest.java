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
}
