package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.testing.StcProcess;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code stc serve} with its admin listener, driven by {@code stc ctl} and {@code stc top} as separate processes. */
class AdminCliIT {
  private static final Pattern ADMIN = Pattern.compile("^admin listening on http://127\\.0\\.0\\.1:(\\d+)$");

  @Test
  void ctlAndTopAgainstALiveServer(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    try (StcProcess b1 = StcProcess.start("backend", "--port", "0");
        StcProcess b2 = StcProcess.start("backend", "--port", "0")) {
      int p1 = b1.awaitListening();
      int p2 = b2.awaitListening();
      // In a directory of its own: the changes ctl makes are saved in ./.stc-state, which a later
      // stc started in the project directory (AutoscalerIT's) would otherwise load.
      try (StcProcess stc = StcProcess.startIn(dir, "serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
          "--backend", "127.0.0.1:" + p1)) {
        stc.awaitListening();
        String url = "http://127.0.0.1:" + stc.awaitLine(ADMIN).group(1);

        try (StcProcess add = StcProcess.start("ctl", "--url", url, "add-server", "127.0.0.1:" + p2 + ":3")) {
          assertThat(add.awaitExit()).as(add.stderr()).isZero();
          assertThat(add.remainingStdout()).contains("added 127.0.0.1:" + p2 + " (weight 3");
        }
        try (StcProcess again = StcProcess.start("ctl", "--url", url, "add-server", "127.0.0.1:" + p2)) {
          assertThat(again.awaitExit()).isEqualTo(1);
          assertThat(again.stderr()).contains("already in the pool");
        }
        try (StcProcess weight = StcProcess.start("ctl", "--url", url, "weight", "127.0.0.1:" + p1, "5")) {
          assertThat(weight.awaitExit()).as(weight.stderr()).isZero();
        }
        try (StcProcess badWeight = StcProcess.start("ctl", "--url", url, "weight", "127.0.0.1:" + p1, "5000")) {
          assertThat(badWeight.awaitExit()).isEqualTo(1);
          assertThat(badWeight.stderr()).contains("weight");
        }
        try (StcProcess backup = StcProcess.start("ctl", "--url", url, "backup", "127.0.0.1:" + p2, "true")) {
          assertThat(backup.awaitExit()).as(backup.stderr()).isZero();
          assertThat(backup.remainingStdout()).contains("backend 127.0.0.1:" + p2 + " (weight 3", ", backup)");
        }
        try (StcProcess badBackup = StcProcess.start("ctl", "--url", url, "backup", "127.0.0.1:" + p2, "maybe")) {
          assertThat(badBackup.awaitExit()).isEqualTo(2);
        }
        try (StcProcess algo = StcProcess.start("ctl", "--url", url, "algorithm", "least_connections")) {
          assertThat(algo.awaitExit()).as(algo.stderr()).isZero();
        }
        try (StcProcess algo = StcProcess.start("ctl", "--url", url, "algorithm", "fastest")) {
          assertThat(algo.awaitExit()).isEqualTo(1);
          assertThat(algo.stderr()).contains("round_robin");
        }
        try (StcProcess drain = StcProcess.start("ctl", "--url", url, "drain", "127.0.0.1:" + p1)) {
          assertThat(drain.awaitExit()).as(drain.stderr()).isZero();
          assertThat(drain.remainingStdout()).contains("draining");
        }
        try (StcProcess missing = StcProcess.start("ctl", "--url", url, "remove-server", "127.0.0.1:1")) {
          assertThat(missing.awaitExit()).isEqualTo(1);
          assertThat(missing.stderr()).contains("no backend 127.0.0.1:1");
        }
        try (StcProcess usage = StcProcess.start("ctl", "--url", url, "drain", "nonsense")) {
          assertThat(usage.awaitExit()).isEqualTo(2);
        }
        try (StcProcess top = StcProcess.start("top", "--once", "--url", url)) {
          assertThat(top.awaitExit()).as(top.stderr()).isZero();
          String frame = top.remainingStdout();
          assertThat(frame).contains("algorithm least_connections").contains("127.0.0.1:" + p1).contains("127.0.0.1:" + p2)
              .contains("BACKEND").contains("EVENTS").doesNotContain("\033");
          assertThat(frame.lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
        }
        try (StcProcess stats = StcProcess.start("ctl", "--url", url, "stats", "--json")) {
          assertThat(stats.awaitExit()).isZero();
          assertThat(stats.remainingStdout()).contains("\"totals\"");
        }
        assertThat(stc.terminate()).isZero();
      }
      try (StcProcess down = StcProcess.start("ctl", "--url", "http://127.0.0.1:1", "stats")) {
        assertThat(down.awaitExit()).isEqualTo(1);
        assertThat(down.stderr()).contains("cannot connect");
      }
      try (StcProcess top = StcProcess.start("top", "--once", "--url", "http://127.0.0.1:1")) {
        assertThat(top.awaitExit()).isEqualTo(1);
      }
    }
  }

  @Test
  void anExposedAdminListenerWithoutATokenRefusesToStart() throws Exception {
    try (StcProcess stc = StcProcess.start("serve", "--port", "0", "--admin-port", "0", "--admin-host", "0.0.0.0")) {
      assertThat(stc.awaitExit()).isEqualTo(2);
      assertThat(stc.stderr()).contains("admin").contains("token");
    }
  }
}
