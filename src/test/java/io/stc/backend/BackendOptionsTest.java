package io.stc.backend;

import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNoException;

import org.junit.jupiter.api.Test;

class BackendOptionsTest {
  @Test
  void rejectsOutOfRangeValues() {
    BackendOptions ok = BackendOptions.defaults();
    assertThatIllegalArgumentException().isThrownBy(() -> ok.withErrorRate(1.5)).withMessageContaining("--error-rate");
    assertThatIllegalArgumentException().isThrownBy(() -> ok.withErrorRate(Double.NaN)).withMessageContaining("--error-rate");
    assertThatIllegalArgumentException().isThrownBy(() -> ok.withDelay(-0.1, 0)).withMessageContaining("--delay");
    assertThatIllegalArgumentException().isThrownBy(() -> ok.withDelay(0, -1)).withMessageContaining("--jitter");
    assertThatIllegalArgumentException().isThrownBy(() -> ok.withMaxInflight(-1)).withMessageContaining("--max-inflight");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new BackendOptions(null, "127.0.0.1", 70_000, 0, 0, 0, 0))
        .withMessageContaining("--port");
  }

  @Test
  void acceptsTheEdges() {
    assertThatNoException().isThrownBy(() -> BackendOptions.defaults().withErrorRate(1).withErrorRate(0).withMaxInflight(0).withDelay(0, 0));
  }
}
