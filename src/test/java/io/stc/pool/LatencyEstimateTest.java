package io.stc.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stc.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LatencyEstimateTest {
  private static final long MS = 1_000_000L;
  private final ManualClock clock = new ManualClock(5_000 * MS);
  private final LatencyEstimate e = new LatencyEstimate();

  @Test
  void ewmaStartsAtTheFirstSampleThenMovesByAlpha() {
    assertThat(e.ewmaNanos()).isZero();
    e.record(100 * MS, false, clock.nanos());
    assertThat(e.ewmaNanos()).isEqualTo(100.0 * MS);
    e.record(200 * MS, false, clock.nanos());
    assertThat(e.ewmaNanos()).isCloseTo(120.0 * MS, within(1.0));
  }

  @Test
  void failureCountsAsAtLeastOneSecondOrTenTimesTheEwma() {
    e.record(1 * MS, true, clock.nanos());
    assertThat(e.ewmaNanos()).isEqualTo(1000.0 * MS);
    LatencyEstimate slow = new LatencyEstimate();
    slow.record(500 * MS, false, clock.nanos());
    slow.record(1 * MS, true, clock.nanos());
    // penalty 5 s: 500 + 0.2 × 4500
    assertThat(slow.ewmaNanos()).isCloseTo(1400.0 * MS, within(1.0));
    assertThat(LatencyEstimate.penalty(1e12)).isEqualTo(LatencyEstimate.FAILURE_PENALTY_MAX_NANOS);
    LatencyEstimate reallySlow = new LatencyEstimate();
    reallySlow.record(90_000 * MS, true, clock.nanos());
    assertThat(reallySlow.ewmaNanos()).as("an observed time above the penalty stands").isEqualTo(90_000.0 * MS);
  }

  @Test
  void peakJumpsUpAtOnceAndDecaysWithTime() {
    e.record(10 * MS, false, clock.nanos());
    e.record(300 * MS, false, clock.nanos());
    assertThat(e.peakEwmaNanos(clock.nanos())).isCloseTo(300.0 * MS, within(300.0 * MS * 1e-6));
    clock.advance(Duration.ofSeconds(10));
    assertThat(e.peakEwmaNanos(clock.nanos())).isCloseTo(300.0 * MS * Math.exp(-1), within(300.0));
    e.record(10 * MS, false, clock.nanos());
    double w = Math.exp(-1);
    assertThat(e.peakEwmaNanos(clock.nanos())).isCloseTo(300.0 * MS * w + 10.0 * MS * (1 - w), within(300.0));
  }

  @Test
  void peakPenalisesFailures() {
    e.record(10 * MS, false, clock.nanos());
    e.record(2 * MS, true, clock.nanos());
    assertThat(e.peakEwmaNanos(clock.nanos())).isCloseTo(1000.0 * MS, within(1000.0));
  }

  @Test
  void backendStatsFeedTheEstimateWithTheirClock() {
    Backend b = new Backend("a", "127.0.0.1", 1, 1, BackendState.UP, clock);
    b.stats().requestStarted();
    b.stats().requestFinished(100 * MS, false);
    clock.advance(Duration.ofSeconds(20));
    assertThat(b.stats().latency().peakEwmaNanos(clock.nanos())).isCloseTo(100.0 * MS * Math.exp(-2), within(100.0));
    assertThat(b.stats().ewmaLatencyNanos()).as("the plain EWMA is unpenalised").isEqualTo(100.0 * MS);
    b.stats().requestStarted();
    b.stats().requestFinished(1 * MS, true);
    assertThat(b.stats().ewmaLatencyNanos()).isCloseTo(80.2 * MS, within(1.0));
    assertThat(b.stats().latency().ewmaNanos())
        .as("20 s on, the old sample is stale: the failure's 1 s penalty replaces it")
        .isEqualTo(1000.0 * MS);
    b.stats().reset();
    assertThat(b.stats().latency().ewmaNanos()).isZero();
    assertThat(b.stats().latency().peakEwmaNanos(clock.nanos())).isZero();
  }

  @Test
  void aStaleEwmaRestartsFromTheNextSample() {
    e.record(500 * MS, false, clock.nanos());
    clock.advance(Duration.ofSeconds(5));
    e.record(100 * MS, false, clock.nanos());
    assertThat(e.ewmaNanos()).as("5 s apart: averaged").isCloseTo(420.0 * MS, within(1.0));
    assertThat(e.sampledAtNanos()).isEqualTo(clock.nanos());
    clock.advance(Duration.ofNanos(LatencyEstimate.STALE_NANOS + 1));
    e.record(30 * MS, false, clock.nanos());
    assertThat(e.ewmaNanos()).as("after more than STALE_NANOS: the new sample alone").isEqualTo(30.0 * MS);
  }

  @Test
  void peakRankOrdersBackendsLikeTheirDecayedPeaks() {
    LatencyEstimate early = new LatencyEstimate();
    assertThat(early.peakRank()).isEqualTo(Double.NEGATIVE_INFINITY);
    early.record(200 * MS, false, clock.nanos());
    clock.advance(Duration.ofSeconds(7));
    LatencyEstimate late = new LatencyEstimate();
    late.record(100 * MS, false, clock.nanos());
    double ratio = early.peakEwmaNanos(clock.nanos()) / late.peakEwmaNanos(clock.nanos());
    // 200 × e^-0.7 ≈ 99.3 ms: just below the fresh 100 ms.
    assertThat(ratio).isLessThan(1.0);
    assertThat(Math.exp(early.peakRank() - late.peakRank())).isCloseTo(ratio, within(1e-6));
    clock.advance(Duration.ofSeconds(100));
    assertThat(Math.exp(early.peakRank() - late.peakRank()))
        .as("the ratio does not change as both decay")
        .isCloseTo(early.peakEwmaNanos(clock.nanos()) / late.peakEwmaNanos(clock.nanos()), within(1e-6));
  }
}
