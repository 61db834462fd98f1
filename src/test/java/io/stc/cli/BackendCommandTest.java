package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BackendCommandTest {
  private String lastErr;

  private int run(String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return Main.run(args);
    } finally {
      System.setErr(saved);
      lastErr = err.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void badFlagsExitWithUsageCode() {
    assertThat(run("backend", "--port", "0", "--error-rate", "2")).isEqualTo(2);
    assertThat(lastErr).contains("--error-rate must be between 0 and 1, got 2.0");

    assertThat(run("backend", "--port", "0", "--delay", "-1")).isEqualTo(2);
    assertThat(lastErr).contains("--delay must be");

    assertThat(run("backend", "--port", "0", "--max-inflight", "-3")).isEqualTo(2);
    assertThat(lastErr).contains("--max-inflight must be >= 0");

    assertThat(run("backend", "--port", "0", "--capacity", "3")).isEqualTo(2);
    assertThat(lastErr).contains("--capacity is part of the instance model: add --service-time (the limit beyond which it answers 503 is --max-inflight)");

    assertThat(run("backend", "--port", "0", "--service-time", "50ms", "--delay", "0.1")).isEqualTo(2);
    assertThat(lastErr).contains("--service-time and --delay/--jitter exclude each other");

    assertThat(run("backend", "--port", "0", "--service-time", "50ms", "--capacity", "5-2")).isEqualTo(2);
    assertThat(lastErr).contains("--capacity needs 1 <= MIN <= MAX, got 5-2");

    assertThat(run("backend", "--port", "0", "--service-time", "50ms", "--noise", "pink")).isEqualTo(2);
    assertThat(lastErr).contains("unknown noise 'pink', expected exp or none");

    assertThat(run("backend", "--port", "abc")).isEqualTo(2);
    assertThat(lastErr).contains("--port");

    assertThat(run("backend")).isEqualTo(2);
    assertThat(lastErr).contains("Missing required option: '--port=<port>'");
  }
}
