package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.testing.StcProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/locustfile.py, headless for 10 s with Debian's Locust, against stc serve: cookie-keeping
 * users stay on their backend with sticky cookies, and move without them.
 */
class LocustIT {
  static final Path LOCUST = Path.of("/usr/bin/locust");

  @TempDir Path dir;

  /** The CSV stats rows by "type name": [requests, failures]. */
  private Map<String, long[]> run(String stickyYaml, String label) throws Exception {
    if (!Files.isExecutable(LOCUST)) {
      if (System.getenv("CI") != null) {
        throw new AssertionError("/usr/bin/locust is missing: .ci/run installs python3-locust");
      }
      Assumptions.abort("Debian's python3-locust is not installed (/usr/bin/locust)");
    }
    try (DemoBackend a = DemoBackend.started(BackendOptions.defaults().withName("a"));
        DemoBackend b = DemoBackend.started(BackendOptions.defaults().withName("b"))) {
      Path config = Files.writeString(dir.resolve(label + ".yaml"), """
          host: 127.0.0.1
          state_dir: "%s"
          %s
          backends:
            - {host: 127.0.0.1, port: %d}
            - {host: 127.0.0.1, port: %d}
          """.formatted(dir.resolve(label + "-state"), stickyYaml, a.port(), b.port()));
      try (StcProcess stc = StcProcess.start("serve", "--config", config.toString(), "--port", "0", "--admin-port", "0")) {
        int port = stc.awaitListening();
        Path csv = dir.resolve(label);
        Process locust = new ProcessBuilder(List.of(LOCUST.toString(), "-f", Path.of("examples/locustfile.py").toAbsolutePath().toString(),
            "--headless", "-u", "10", "-r", "5", "--run-time", "10s", "--host", "http://127.0.0.1:" + port,
            "--csv", csv.toString(), "--only-summary"))
            .redirectErrorStream(true).redirectOutput(dir.resolve(label + ".log").toFile()).start();
        try {
          assertThat(locust.waitFor(90, TimeUnit.SECONDS)).as("locust finishes").isTrue();
        } finally {
          locust.destroyForcibly();
        }
        String log = Files.readString(dir.resolve(label + ".log"));
        assertThat(locust.exitValue()).as(log).isZero();
        Map<String, long[]> rows = new HashMap<>();
        List<String> lines = Files.readAllLines(dir.resolve(label + "_stats.csv"), StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
          String[] f = line.split(",");
          rows.put(f[0] + " " + f[1], new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])});
        }
        return rows;
      }
    }
  }

  @Test
  void cookieKeepingUsersStayOnTheirBackendWithStickyCookiesAndMoveWithout() throws Exception {
    Map<String, long[]> sticky = run("sticky: {mode: cookie}", "sticky");
    assertThat(sticky.get(" Aggregated")[0]).as("requests").isGreaterThan(50);
    assertThat(sticky.get(" Aggregated")[1]).as("failures").isZero();
    assertThat(sticky.get("GET /")[0]).isPositive();
    assertThat(sticky.get("GET /shop/cart")[0]).isPositive();
    assertThat(sticky).doesNotContainKey("STICKY moved to another backend");

    Map<String, long[]> roundRobin = run("", "round-robin");
    assertThat(roundRobin.get("STICKY moved to another backend")).as("without sticky sessions users move").isNotNull();
    assertThat(roundRobin.get("STICKY moved to another backend")[0]).isPositive();
  }
}
