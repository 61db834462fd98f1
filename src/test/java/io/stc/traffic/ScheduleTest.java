package io.stc.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScheduleTest {
  private static List<Double> times(Schedule s) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < 10_000_000; i++) {
      double t = s.next();
      if (Double.isNaN(t)) {
        return out;
      }
      out.add(t);
    }
    throw new AssertionError("schedule did not end");
  }

  @Test
  void steadyRateGivesEvenlySpacedSendTimes() {
    List<Double> t = times(new Schedule(new Steady(100), 1, 10, 0));
    assertThat(t).hasSize(1000);
    assertThat(t.get(0)).isCloseTo(0.01, within(1e-9));
    for (int i = 1; i < t.size(); i++) {
      assertThat(t.get(i) - t.get(i - 1)).isCloseTo(0.01, within(1e-9));
    }
  }

  @Test
  void sharedSchedulesInterleaveAndAddUpToTheRate() {
    List<Double> a = times(new Schedule(new Steady(100), 0.5, 10, 0));
    List<Double> b = times(new Schedule(new Steady(100), 0.5, 10, 0.5));
    assertThat(a.size() + b.size()).isEqualTo(1000);
    assertThat(b.get(0)).isCloseTo(0.01, within(1e-9));
    assertThat(a.get(0)).isCloseTo(0.02, within(1e-9));
  }

  @Test
  void countFollowsTheIntegralOfAVaryingRate() {
    RatePattern gradual = new Gradual(1000, 20);
    List<Double> t = times(new Schedule(gradual, 1, 20, 0));
    assertThat((double) t.size()).isCloseTo(gradual.mean(0, 20) * 20, within(1.0));
    long firstHalf = t.stream().filter(x -> x < 10).count();
    assertThat((double) firstHalf).isCloseTo(gradual.mean(0, 10) * 10, within(1.0));
    for (int i = 1; i < t.size(); i++) {
      assertThat(t.get(i)).isGreaterThan(t.get(i - 1));
    }
  }

  @Test
  void sameSeedSameSendTimes() {
    assertThat(times(new Schedule(new Burst(300, 30, 5), 1, 30, 0)))
        .isEqualTo(times(new Schedule(new Burst(300, 30, 5), 1, 30, 0)));
  }

  @Test
  void spikeTimesAreDenserInTheMiddle() {
    List<Double> t = times(new Schedule(new Spike(50, 20), 1, 20, 0));
    long spike = t.stream().filter(x -> x >= 9.5 && x < 10.5).count();
    long before = t.stream().filter(x -> x >= 5 && x < 6).count();
    assertThat(spike).isBetween(499L, 501L);
    assertThat(before).isBetween(49L, 51L);
  }
}
