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
}
