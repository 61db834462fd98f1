package io.stc.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RateTraceTest {
  @TempDir Path dir;

  private Path file(String text) throws IOException {
    return Files.writeString(dir.resolve("trace.csv"), text);
  }

  private RateTrace read(String text) throws IOException {
    return RateTrace.read(file(text), 1, 0, null);
  }

  @Test
  void oneRatePerLineIsOneSecondEach() throws IOException {
    RateTrace t = read("# requests per second\n10\n20\n\n40.5\n");
    assertThat(t.durationSeconds()).isEqualTo(3);
    assertThat(t.rate(0)).isEqualTo(10);
    assertThat(t.rate(0.999)).isEqualTo(10);
    assertThat(t.rate(1)).isEqualTo(20);
    assertThat(t.rate(2.5)).isEqualTo(40.5);
    assertThat(t.meanRate()).isCloseTo((10 + 20 + 40.5) / 3, within(1e-9));
    assertThat(t.peakRate()).isEqualTo(40.5);
  }

  @Test
  void secondsAndRateHoldUntilTheNextPointAndTheLastForTheStepBeforeIt() throws IOException {
    RateTrace t = read("seconds,rate\n0,100\n60, 200\n120,50 # the tail\n");
    assertThat(t.durationSeconds()).isEqualTo(180);
    assertThat(t.rate(59.9)).isEqualTo(100);
    assertThat(t.rate(60)).isEqualTo(200);
    assertThat(t.rate(179)).isEqualTo(50);
    assertThat(t.mean(30, 90)).isCloseTo(150, within(1e-9));
  }

  @Test
  void aPartCanBeReplayedScaled() throws IOException {
    RateTrace t = RateTrace.read(file("0,100\n60,200\n120,50\n"), 2.5, 30, 60.0);
    assertThat(t.durationSeconds()).isEqualTo(60);
    assertThat(t.rate(0)).as("30 s into the trace").isEqualTo(250);
    assertThat(t.rate(30)).isEqualTo(500);
    assertThat(t.describe()).isEqualTo("trace trace.csv x2.5 from 30s");
  }

  @Test
  void badLinesAreNamedByFileAndLine() throws IOException {
    assertThatThrownBy(() -> read("10\n20\nlots\n")).hasMessage("trace.csv:3: expected a rate (requests per second), got 'lots'");
    assertThatThrownBy(() -> read("10\n-5\n")).hasMessage("trace.csv:2: a rate must not be negative, got '-5'");
    assertThatThrownBy(() -> read("0,10\n5,20\n5,30\n")).hasMessage("trace.csv:3: times must increase, got 5s after 5s (from the first point)");
    assertThatThrownBy(() -> read("0,10\n30\n")).hasMessage("trace.csv:2: expected time,rate like the lines before, got '30'");
    assertThatThrownBy(() -> read("10\n1,30\n")).hasMessage("trace.csv:2: expected one rate like the lines before, got '1,30'");
    assertThatThrownBy(() -> read("1,2,3\n")).hasMessage("trace.csv:1: expected a rate, or time,rate; got '1,2,3'");
    assertThatThrownBy(() -> read("0,NaN\n")).hasMessage("trace.csv:1: expected a rate (requests per second), got 'NaN'");
    assertThatThrownBy(() -> read("10\nrate\n")).as("a header only before the first rate")
        .hasMessage("trace.csv:2: expected a rate (requests per second), got 'rate'");
    assertThatThrownBy(() -> read("# nothing\n\n")).hasMessage("--trace: trace.csv holds no rate");
    assertThatThrownBy(() -> read("2026-12-01T10:00:00Z,1\n60,2\n"))
        .hasMessage("trace.csv:2: expected a date-time like the lines before, got '60'");
    assertThatThrownBy(() -> read("0,1\n2026-12-01T10:00:00Z,2\n"))
        .hasMessage("trace.csv:2: expected a time in seconds like the lines before, got '2026-12-01T10:00:00Z'");
    assertThatThrownBy(() -> read("2026-12-01T10:00:00Z,1\n2026-13-01T10:00:00Z,2\n"))
        .hasMessage("trace.csv:2: expected a date-time such as 2026-12-01T10:00:00Z, got '2026-13-01T10:00:00Z'");
    assertThatThrownBy(() -> read("2026-12-01T10:00:00Z,1\n2026-12-01T09:59:00Z,2\n"))
        .hasMessage("trace.csv:2: times must increase, got 2026-12-01T09:59:00Z after the line before (from the first point)");
    assertThatThrownBy(() -> read("1733500000;10\n1733500000.5;oops\n"))
        .hasMessage("trace.csv:2: expected a rate (requests per second), got 'oops'");
  }

  @Test
  void unixTimesAsPrometheusExportsThemReplayFromTheFirstPoint() throws IOException {
    // query_range values through jq: "\(.[0]),\(.[1])", a point every 15 s.
    RateTrace t = read("1733500000,400\n1733500015,415.5\n1733500030,380\n");
    assertThat(t.durationSeconds()).isEqualTo(45);
    assertThat(t.rate(0)).isEqualTo(400);
    assertThat(t.rate(15)).isEqualTo(415.5);
    assertThat(t.rate(44.9)).isEqualTo(380);
    assertThat(RateTrace.read(file("1733500000,400\n1733500015,415.5\n1733500030,380\n"), 1, 15, 15.0).rate(0))
        .as("--trace-start counts from the first point").isEqualTo(415.5);
    assertThat(read("5,100\n10,200\n").rate(0)).as("no silence before the first point").isEqualTo(100);
  }

  @Test
  void dateTimesAsGrafanaAndOthersWriteThem() throws IOException {
    RateTrace grafana = read("\"Time\",\"Requests\"\n\"2026-12-01 10:00:00\",400\n2026-12-01 10:01:00,\"500\"\n2026-12-01 10:02:00,450\n");
    assertThat(grafana.durationSeconds()).isEqualTo(180);
    assertThat(grafana.rate(59)).isEqualTo(400);
    assertThat(grafana.rate(60)).isEqualTo(500);
    assertThat(grafana.rate(179)).isEqualTo(450);

    RateTrace offsets = read("2026-12-01T10:00:00Z;1\n2026-12-01T11:00:00.5+01:00;2\n2026-12-01T10:00:01.5Z;3\n");
    assertThat(offsets.durationSeconds()).as("the second point is half a second after the first").isEqualTo(2.5);
    assertThat(offsets.rate(0.4)).isEqualTo(1);
    assertThat(offsets.rate(0.5)).isEqualTo(2);
    assertThat(offsets.rate(1.5)).isEqualTo(3);

    RateTrace spaced = read("2026-12-01 10:00:00 7\n2026-12-01 10:00:10 9\n");
    assertThat(spaced.durationSeconds()).isEqualTo(20);
    assertThat(spaced.rate(10)).isEqualTo(9);
  }

  @Test
  void aByteOrderMarkIsNotAHeader() throws IOException {
    RateTrace t = read("\uFEFF10\n20\n");
    assertThat(t.durationSeconds()).isEqualTo(2);
    assertThat(t.rate(0)).as("the first rate is kept").isEqualTo(10);
    assertThat(read("\uFEFFseconds,rate\n0,3\n").rate(0)).isEqualTo(3);
  }

  @Test
  void aTraceLongerThanTheSimulatorReplaysIsNamedWithTheWayOut() throws IOException {
    RateTrace twoWeeks = read("0,10\n604800,10\n");
    assertThatThrownBy(() -> SimulationOptions.builder().trace(twoWeeks).build())
        .hasMessage("--trace: trace trace.csv lasts 336h; the simulator replays at most 168h (--trace-start and"
            + " --trace-duration choose a part)");
  }

  @Test
  void theCutMustFitTheTrace() throws IOException {
    Path f = file("10\n20\n");
    assertThatThrownBy(() -> RateTrace.read(f, 1, 2, null)).hasMessageContaining("--trace-start 2s is past the end of trace.csv (2s)");
    assertThatThrownBy(() -> RateTrace.read(f, 1, 1, 5.0)).hasMessageContaining("--trace-duration 5s runs past the end");
    assertThatThrownBy(() -> RateTrace.read(f, 0, 0, null)).hasMessageContaining("--trace-scale must be a positive number");
    assertThatThrownBy(() -> RateTrace.read(dir.resolve("missing.csv"), 1, 0, null)).hasMessageContaining("--trace: no such file");
  }

  @Test
  void aSimulationReplaysTheTrace() throws IOException {
    SimulationOptions o = SimulationOptions.builder().trace(RateTrace.read(file("0,20\n60,200\n120,20\n"), 1, 0, null)).build();
    assertThat(o.duration()).hasSeconds(180);
    assertThat(o.rate()).isCloseTo(80, within(1e-9));
    SimulationResult r = Simulation.run(o);
    int[] arrivals = r.series().arrivals();
    long first = java.util.Arrays.stream(arrivals, 0, 60).sum();
    long second = java.util.Arrays.stream(arrivals, 60, 120).sum();
    assertThat(first).isBetween(1000L, 1400L);
    assertThat(second).isBetween(11_400L, 12_600L);
    assertThat(r.served()).isEqualTo(r.arrived());
  }
}
