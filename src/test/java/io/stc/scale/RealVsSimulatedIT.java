package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stc.traffic.RateTrace;
import io.stc.traffic.TrafficPattern;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real run and its simulation agree: {@code stc serve} scaling {@code stc backend
 * --service-time} processes under {@code stc load}, and {@code stc simulate} of the same scenario
 * with the start-up time the real instances took. At this small scale: 30 s at 40 req/s, which two
 * instances carry, then a minute at 120 req/s, for which both ways scale up once the instances
 * have been measured at work; before it, 10 s of warm-up on a throwaway stc (see {@link RealRun}).
 */
class RealVsSimulatedIT {
  @TempDir Path dir;

  @Test
  void instanceSecondsAndSuccessAgree() throws Exception {
    RateTrace trace = RateTrace.read(Files.writeString(dir.resolve("trace.csv"), "seconds,rate\n0,40\n30,120\n90,120\n"),
        1, 0, 90.0);
    RealRun.Outcome o = RealRun.run(new RealRun.Scenario(
        TrafficPattern.STEADY, 0, Duration.ZERO, trace, 2, 6, 3, 3, Duration.ofMillis(50), Duration.ofSeconds(2),
        Duration.ofSeconds(10)), dir);
    System.out.print(o);
    o.realEvents().forEach(System.out::println);
    o.simulated().events().forEach(e -> System.out.println("sim " + e.timeMillis() / 1000.0 + " s  " + e.message()));
    System.out.print(RealRun.startupTable(o.startups()));
    System.out.print(RealRun.timeline(o, 5));
    assertThat(o.realSuccess()).isGreaterThanOrEqualTo(0.99);
    // The client opened connections as needed and never held a request back, so every request
    // waited where the autoscaler sees it; at 120 req/s that is far below the cap (1,000).
    assertThat(o.clientHeldBack()).isZero();
    assertThat(o.clientPeakConnections()).isPositive().isLessThan(1000);
    assertThat(o.simulated().successRate()).isGreaterThanOrEqualTo(0.99);
    // Within 50%. At this size one decision decides: the step's. With the service model's points
    // binned by the concurrency they ran at, a second's points at 20 req/s an instance lay on
    // Little's line (the time a request took is the concurrency over the throughput) and said an
    // instance serves what it had; with the real side's noise seven runs of sixteen asked for 6
    // instances where the simulation asked for 3 or 4 (0.83 to 1.51). Binned by arrivals, the
    // real model reads the service's 47 a second at 7 in flight: 0.998, 1.017 and 1.251 (and 1.25
    // three times with a share floor that dropped old bins).
    assertThat(o.instanceSecondsRatio()).as(o.toString()).isCloseTo(1, within(0.5));
  }
}
