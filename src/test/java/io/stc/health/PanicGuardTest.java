package io.stc.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PanicGuardTest {
  @Test
  void ejectsWhileTheShareStaysWithinTheLimit() {
    assertThat(PanicGuard.mayEject(10, 0, 50)).isTrue();
    assertThat(PanicGuard.mayEject(10, 4, 50)).isTrue();
    assertThat(PanicGuard.mayEject(10, 5, 50)).isFalse();
    assertThat(PanicGuard.mayEject(3, 0, 34)).isTrue();
    assertThat(PanicGuard.mayEject(3, 1, 34)).isFalse();
    assertThat(PanicGuard.mayEject(1, 0, 50)).as("a lone backend is never ejected").isFalse();
    assertThat(PanicGuard.mayEject(1, 0, 100)).isTrue();
    assertThat(PanicGuard.mayEject(10, 0, 0)).isFalse();
  }

  @Test
  void panicsOnlyPastTheLimit() {
    assertThat(PanicGuard.panicking(10, 5, 50)).isFalse();
    assertThat(PanicGuard.panicking(8, 5, 50)).isTrue();
    assertThat(PanicGuard.panicking(0, 0, 50)).isFalse();
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> PanicGuard.mayEject(10, 0, 101)).hasMessageContaining("max_ejection_percent");
    assertThatThrownBy(() -> PanicGuard.mayEject(-1, 0, 10)).hasMessageContaining("negative");
  }
}
