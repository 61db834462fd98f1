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

  /** Runs {@code stc serve ARGS}; returns {exit code, stdout, stderr}. */
  private static String[] run(String... args) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream oldOut = System.out;
    java.io.PrintStream oldErr = System.err;
    System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    int code;
    try {
      code = new CommandLine(new ServeCommand()).execute(args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    return new String[] {String.valueOf(code), out.toString(java.nio.charset.StandardCharsets.UTF_8),
        err.toString(java.nio.charset.StandardCharsets.UTF_8)};
  }

  @Test
  void checkSaysWhatWouldRunAndStartsAndWritesNothing(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("stc.yaml");
    java.nio.file.Path state = dir.resolve("state");
    // The port is one something already listens on: a check binds nothing, so it is no error.
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      java.nio.file.Files.writeString(file, "host: 127.0.0.1\nport: " + taken.getLocalPort() + "\nstate_dir: " + state
          + "\nbackends:\n  - {host: 127.0.0.1, port: 3001}\n  - {host: 127.0.0.1, port: 3002}\nadmin: {port: " + taken.getLocalPort() + "}\n");
      String[] r = run("--config", file.toString(), "--check", "--transport", "nio");
      assertThat(r[0]).isEqualTo("0");
      assertThat(r[1]).isEqualTo(file + ": configuration ok: http://127.0.0.1:" + taken.getLocalPort()
          + ", 2 backends, round_robin, transport nio, admin http://127.0.0.1:" + taken.getLocalPort() + System.lineSeparator());
      assertThat(r[2]).isEmpty();
    }
    assertThat(state).doesNotExist();
  }

  @Test
  void checkOfABadFileExitsWith2NamingTheLineAndOfNoBackendsWarns(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("stc.yaml");
    java.nio.file.Files.writeString(file, "port: 8080\nhealth:\n  interval: soon\n");
    String[] bad = run("--config", file.toString(), "--check");
    assertThat(bad[0]).isEqualTo("2");
    assertThat(bad[1]).isEmpty();
    assertThat(bad[2]).contains(file + ":3: health.interval: expected a duration");

    String[] none = run("--check", "--port", "0");
    assertThat(none[0]).isEqualTo("0");
    assertThat(none[1]).startsWith("flags: configuration ok: http://0.0.0.0:0, 0 backends, round_robin, transport ");
    assertThat(none[2]).contains("warning: no backends");

    // Weights the algorithm does not follow are said, as nginx's and HAProxy's round robin follow them.
    String[] weights = run("--check", "--port", "0", "--backend", "127.0.0.1:3001:1", "--backend", "127.0.0.1:3002:3");
    assertThat(weights[0]).isEqualTo("0");
    assertThat(weights[2]).contains("warning: backend weights [1, 3] are not followed by round_robin")
        .contains("weighted_round_robin is nginx's and HAProxy's weighted round robin");
    String[] followed = run("--check", "--port", "0", "--algorithm", "least_connections",
        "--backend", "127.0.0.1:3001:1", "--backend", "127.0.0.1:3002:3");
    assertThat(followed[2]).isEmpty();

    // A state_dir that cannot be made (a file stands where a directory of its path should) is said.
    java.nio.file.Path aFile = dir.resolve("a-file");
    java.nio.file.Files.writeString(aFile, "x");
    java.nio.file.Path stateFile = dir.resolve("state.yaml");
    java.nio.file.Files.writeString(stateFile, "port: 0\nstate_dir: " + aFile.resolve("state") + "\n");
    String[] unwritable = run("--config", stateFile.toString(), "--check");
    assertThat(unwritable[0]).isEqualTo("0");
    assertThat(unwritable[2]).contains("warning: state_dir " + aFile.resolve("state") + " cannot be written");

    String[] both = run("--check", "--takeover");
    assertThat(both[0]).isEqualTo("2");
    assertThat(both[2]).contains("--check starts nothing");
  }
}
