package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.StcConfig.BackendConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class StaticProviderTest {
  private final StaticProvider provider = new StaticProvider(List.of(
      new BackendConfig("10.0.0.1", 8080, 1), new BackendConfig("10.0.0.2", 8080, 1)));

  @Test
  void handsOutTheListedServersInOrderAndTakesThemBack() {
    Instance a = provider.start("auto-1").join();
    Instance b = provider.start("auto-2").join();
    assertThat(a).isEqualTo(new Instance("auto-1", "10.0.0.1", 8080));
    assertThat(b.address()).isEqualTo("10.0.0.2:8080");
    assertThat(provider.instances()).containsExactly(a, b);

    assertThat(provider.start("auto-3")).isCompletedExceptionally();
    provider.stop(a).join();
    assertThat(provider.instances()).containsExactly(b);
    assertThat(provider.start("auto-4").join()).isEqualTo(new Instance("auto-4", "10.0.0.1", 8080));
  }

  @Test
  void aFailedStartSaysWhy() {
    provider.start("a");
    provider.start("b");
    assertThat(provider.start("c").handle((i, e) -> e.getMessage()).join()).isEqualTo("all 2 static backends are in use");
  }
}
