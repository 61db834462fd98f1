package io.stc.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RatePatternTest {
  private static final double RATE = 200;
  private static final double D = 60;

  @Test
  void steadyIsFlat() {
    RatePattern p = TrafficPattern.STEADY.create(RATE, D, 1);
    assertThat(p.rate(0)).isEqualTo(RATE);
    assertThat(p.rate(37.5)).isEqualTo(RATE);
    assertThat(p.mean(0, D)).isCloseTo(RATE, within(1e-6));
  }

  @Test
  void gradualRampsFromATenthToTheFullRateWithAConstantSlope() {
    RatePattern p = TrafficPattern.GRADUAL.create(RATE, D, 1);
    assertThat(p.rate(0)).isCloseTo(20, within(1e-9));
    assertThat(p.rate(D)).isCloseTo(RATE, within(1e-9));
    assertThat(p.rate(D + 100)).isCloseTo(RATE, within(1e-9));
    double slope = (p.rate(45) - p.rate(15)) / 30;
    assertThat(slope).isCloseTo(0.9 * RATE / D, within(1e-9));
    assertThat(p.mean(0, D)).isCloseTo(0.55 * RATE, within(0.01));
  }

  @Test
  void sineCyclesOncePerDurationAroundTheRate() {
    RatePattern p = TrafficPattern.SINE.create(RATE, D, 1);
    assertThat(p.rate(D / 4)).isCloseTo(1.8 * RATE, within(1e-9));
    assertThat(p.rate(3 * D / 4)).isCloseTo(0.2 * RATE, within(1e-9));
    assertThat(p.rate(0)).isCloseTo(RATE, within(1e-9));
    assertThat(p.mean(0, D)).isCloseTo(RATE, within(0.01));
  }

  @Test
  void spikeIsTenTimesTheRateForAtwentiethOfTheRunInTheMiddle() {
    RatePattern p = TrafficPattern.SPIKE.create(RATE, D, 1);
    assertThat(p.rate(D / 2)).isEqualTo(10 * RATE);
    assertThat(p.rate(D / 2 - 1.4)).isEqualTo(10 * RATE);
    assertThat(p.rate(D / 2 - 1.6)).isEqualTo(RATE);
    assertThat(p.rate(D / 2 + 1.6)).isEqualTo(RATE);
    assertThat(p.rate(1)).isEqualTo(RATE);
    assertThat(p.mean(0, D)).isCloseTo(1.45 * RATE, within(0.01));
  }

  @Test
  void burstAlternatesAQuietBaseWithShortNonOverlappingPeaks() {
    Burst p = (Burst) TrafficPattern.BURST.create(RATE, D, 7);
    assertThat(p.bursts()).isEqualTo(3);
    double inBursts = 0;
    for (int i = 0; i < p.bursts(); i++) {
      double length = p.burstEnd(i) - p.burstStart(i);
      assertThat(length).isBetween(2.0, 5.0);
      assertThat(p.burstStart(i)).isGreaterThanOrEqualTo(i * 20.0);
      assertThat(p.burstEnd(i)).isLessThanOrEqualTo((i + 1) * 20.0);
      assertThat(p.rate((p.burstStart(i) + p.burstEnd(i)) / 2)).isEqualTo(3 * RATE);
      inBursts += length;
    }
    for (double t = 0; t < D; t += 0.25) {
      assertThat(p.rate(t)).isIn(RATE / 5, 3 * RATE);
    }
    assertThat(p.mean(0, D)).isCloseTo(RATE / 5 + (3 * RATE - RATE / 5) * inBursts / D, within(0.5));
  }

  @Test
  void aShortBurstRunStillHasOneBurst() {
    Burst p = (Burst) TrafficPattern.BURST.create(RATE, 4, 1);
    assertThat(p.bursts()).isEqualTo(1);
    assertThat(p.burstEnd(0) - p.burstStart(0)).isLessThanOrEqualTo(2.0);
  }

  @Test
  void randomWalkStaysInItsBoundsAndStartsAtTheRate() {
    RatePattern p = TrafficPattern.RANDOM.create(RATE, 600, 3);
    assertThat(p.rate(0)).isEqualTo(RATE);
    double min = Double.MAX_VALUE;
    double max = 0;
    for (double t = 0; t < 600; t += 0.1) {
      min = Math.min(min, p.rate(t));
      max = Math.max(max, p.rate(t));
    }
    assertThat(min).isGreaterThanOrEqualTo(RATE / 10);
    assertThat(max).isLessThanOrEqualTo(2 * RATE);
    assertThat(max - min).as("it actually wanders").isGreaterThan(RATE / 2);
  }

  @Test
  void seededPatternsAreDeterministicAndDependOnTheSeed() {
    for (TrafficPattern kind : new TrafficPattern[] {TrafficPattern.BURST, TrafficPattern.RANDOM}) {
      RatePattern a = kind.create(RATE, D, 42);
      RatePattern b = kind.create(RATE, D, 42);
      RatePattern c = kind.create(RATE, D, 43);
      boolean differs = false;
      for (double t = 0; t < D; t += 0.05) {
        assertThat(a.rate(t)).as(kind + " at " + t).isEqualTo(b.rate(t));
        differs |= a.rate(t) != c.rate(t);
      }
      assertThat(differs).as(kind + " depends on the seed").isTrue();
    }
  }

  @Test
  void parsesNamesAndRejectsUnknownOnes() {
    assertThat(TrafficPattern.parse("Sine")).isEqualTo(TrafficPattern.SINE);
    assertThatThrownBy(() -> TrafficPattern.parse("square"))
        .hasMessageContaining("unknown pattern 'square'")
        .hasMessageContaining("steady, burst, gradual, random, spike, sine");
  }

  @Test
  void rejectsNonPositiveRates() {
    assertThatThrownBy(() -> TrafficPattern.STEADY.create(-5, D, 1)).hasMessageContaining("rate must be a positive");
    assertThatThrownBy(() -> TrafficPattern.SINE.create(5, 0, 1)).hasMessageContaining("duration must be a positive");
  }
}
