package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.traffic.LoadOptions;
import io.stc.traffic.TrafficPattern;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RealRunTest {
  @Test
  void theClientHasConnectionsForSecondsOfThePeakRate() {
    // A sine at 300 req/s peaks at 540 req/s: 4 s of it is 2,160 requests outstanding at most.
    LoadOptions sine = LoadOptions.builder("http://127.0.0.1:1/").pattern(TrafficPattern.SINE).rate(300)
        .duration(Duration.ofMinutes(10)).build();
    assertThat(RealRun.clientConnections(sine)).isEqualTo(2160);
    // Never fewer than stc load's default, never more than the file descriptors allow.
    LoadOptions slow = LoadOptions.builder("http://127.0.0.1:1/").rate(2).duration(Duration.ofMinutes(1)).build();
    assertThat(RealRun.clientConnections(slow)).isEqualTo(LoadOptions.DEFAULT_CONNECTIONS);
    // The warm-up: the mean rate (300) on 12-13 instances of 25 req/s; never more than max carries.
    RealRun.Scenario sine300 = new RealRun.Scenario(TrafficPattern.SINE, 300, Duration.ofMinutes(10), null, 2, 30, 2, 5,
        Duration.ofMillis(50), Duration.ZERO, Duration.ofSeconds(45));
    assertThat(RealRun.warmUpRate(sine300)).isCloseTo(300, org.assertj.core.api.Assertions.within(1.0));
    assertThat(RealRun.warmUpInstances(sine300)).isBetween(12, 13);
    RealRun.Scenario small = new RealRun.Scenario(TrafficPattern.STEADY, 400, Duration.ofMinutes(1), null, 2, 4, 2, 5,
        Duration.ofMillis(50), Duration.ZERO, Duration.ofSeconds(45));
    assertThat(RealRun.warmUpRate(small)).isEqualTo(100);
    assertThat(RealRun.warmUpInstances(small)).isEqualTo(4);
    LoadOptions fast = LoadOptions.builder("http://127.0.0.1:1/").rate(50_000).duration(Duration.ofMinutes(1)).build();
    assertThat(RealRun.clientConnections(fast)).isEqualTo(RealRun.MAX_CLIENT_CONNECTIONS);
  }

  @Test
  void instanceSecondsRunFromTheDecisionToTheStopWithinTheLoad() {
    List<ScaleEvent> events = List.of(
        new ScaleEvent(0, ScaleEvent.Kind.SCALED_UP, "a", 1, "before the load"),
        new ScaleEvent(2_000, ScaleEvent.Kind.SCALED_UP, "b", 2, "up"),
        new ScaleEvent(4_000, ScaleEvent.Kind.READY, "b", 2, "ready"),
        new ScaleEvent(7_000, ScaleEvent.Kind.STOPPED, "b", 1, "drained"));
    // a: 0-10 s; b: 2-7 s.
    assertThat(RealRun.instanceSeconds(events, 0, 10_000)).isEqualTo(15.0);
    assertThat(RealRun.startupSeconds(events)).isEqualTo(2.0);
  }

  @Test
  void instancesRunFromTheJarWhenThereIsOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    List<String> demo = List.of("java", "-Xmx64m", "-cp", "target/classes:dep.jar", "io.stc.cli.Main", "backend");
    java.nio.file.Path jar = java.nio.file.Files.writeString(dir.resolve("stc.jar"), "jar");
    assertThat(RealRun.instanceCommand(demo, jar))
        .containsExactly("java", "-Xmx64m", "-cp", jar.toAbsolutePath().toString(), "io.stc.cli.Main", "backend");
    assertThat(RealRun.instanceCommand(demo, dir.resolve("absent.jar"))).isEqualTo(demo);
  }

  @Test
  void startUpsCountTheInstancesStartingTogether() {
    List<ScaleEvent> events = List.of(
        new ScaleEvent(0, ScaleEvent.Kind.SCALED_UP, "a", 1, "before the load"),
        new ScaleEvent(1_000, ScaleEvent.Kind.SCALED_UP, "b", 2, "up"),
        new ScaleEvent(1_000, ScaleEvent.Kind.SCALED_UP, "c", 3, "up"),
        new ScaleEvent(1_500, ScaleEvent.Kind.SCALED_UP, "d", 4, "up"),
        new ScaleEvent(3_000, ScaleEvent.Kind.READY, "b", 4, "ready"),
        new ScaleEvent(4_000, ScaleEvent.Kind.READY, "c", 4, "ready"),
        new ScaleEvent(5_000, ScaleEvent.Kind.READY, "d", 4, "ready"),
        new ScaleEvent(9_000, ScaleEvent.Kind.SCALED_UP, "e", 5, "up"),
        new ScaleEvent(10_000, ScaleEvent.Kind.READY, "e", 5, "ready"));
    // b, c and d started in overlapping times (3 each); e alone.
    assertThat(RealRun.startups(events, 0)).containsExactly(
        new RealRun.Startup(1.0, 3, 2.0), new RealRun.Startup(1.0, 3, 3.0), new RealRun.Startup(1.5, 3, 3.5),
        new RealRun.Startup(9.0, 1, 1.0));
    // Alone 1 s (e); three together took 2-3.5 s: about 1 x 3 / 2.83 ~ 1 at full speed together.
    assertThat(RealRun.startupModel(RealRun.startups(events, 0), 2.4)).isEqualTo(new RealRun.StartupModel(1.0, 1));
    // Without a start-up alone there is nothing to fit: the mean, for every one.
    assertThat(RealRun.startupModel(RealRun.startups(events, 0).subList(0, 3), 2.8))
        .isEqualTo(new RealRun.StartupModel(2.8, 0));
    assertThat(RealRun.startupTable(RealRun.startups(events, 0)))
        .contains("                1 |         1 |   1.00 |  1.00")
        .contains("              2-3 |         3 |   2.83 |  3.50");
  }
}
