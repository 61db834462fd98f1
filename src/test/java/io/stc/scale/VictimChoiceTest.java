package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class VictimChoiceTest {
  /** A stand-in instance: its name, whether it is starting, whether it serves, how busy and how slow it is. */
  private record I(String name, boolean starting, boolean ready, int busy, double slowness) {
    I(String name, boolean starting, boolean ready, int busy) {
      this(name, starting, ready, busy, 0);
    }
  }

  /** As Retirement orders them: least busy, then the slowest. */
  private static final Comparator<I> CHEAPER =
      Comparator.comparingInt(I::busy).thenComparing(Comparator.comparingDouble(I::slowness).reversed());

  private static String pick(List<I> oldestFirst) {
    I victim = VictimChoice.pick(oldestFirst, List.<Predicate<I>>of(I::starting), I::ready, CHEAPER);
    return victim == null ? null : victim.name();
  }

  @Test
  void theNewestStartingInstanceGoesFirstHoweverIdleTheOthersAre() {
    assertThat(pick(List.of(
        new I("a", true, false, 0), new I("b", true, false, 0), new I("c", false, true, 0))))
        .isEqualTo("b");
  }

  @Test
  void elseTheLeastBusyReadyOneAndTheNewestOfEquals() {
    assertThat(pick(List.of(new I("a", false, true, 3), new I("b", false, true, 1), new I("c", false, true, 2))))
        .isEqualTo("b");
    assertThat(pick(List.of(new I("a", false, true, 1), new I("b", false, true, 1), new I("c", false, true, 5))))
        .isEqualTo("b");
  }

  @Test
  void ofEquallyBusyOnesTheSlowestGoes() {
    assertThat(pick(List.of(new I("a", false, true, 0, 0.3), new I("b", false, true, 0, 0.1), new I("c", false, true, 0, 0.2))))
        .as("the pool keeps its faster instances").isEqualTo("a");
    assertThat(pick(List.of(new I("a", false, true, 1, 0.3), new I("b", false, true, 0, 0.1))))
        .as("sessions first").isEqualTo("b");
  }

  @Test
  void anInstanceNeitherPreferredNorReadyIsNeverChosen() {
    assertThat(pick(List.of(new I("a", false, false, 0), new I("b", false, true, 9)))).isEqualTo("b");
    assertThat(pick(List.of(new I("a", false, false, 0)))).isNull();
    assertThat(pick(List.of())).isNull();
  }

  @Test
  void anEarlierPreferenceWinsOverALaterOne() {
    List<I> oldestFirst = List.of(new I("warming", false, false, 0), new I("starting", true, false, 0));
    Predicate<I> warming = i -> i.name().equals("warming");
    assertThat(VictimChoice.pick(oldestFirst, List.of(I::starting, warming), I::ready, CHEAPER).name()).isEqualTo("starting");
    assertThat(VictimChoice.pick(oldestFirst, List.of(warming, I::starting), I::ready, CHEAPER).name()).isEqualTo("warming");
  }
}
