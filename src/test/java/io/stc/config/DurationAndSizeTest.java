package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationAndSizeTest {
  @Test
  void durationsParse() {
    assertThat(HumanDuration.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(HumanDuration.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(HumanDuration.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(HumanDuration.parse("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(HumanDuration.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(HumanDuration.parse("3")).isEqualTo(Duration.ofSeconds(3));
    assertThat(HumanDuration.parse("0.25")).isEqualTo(Duration.ofMillis(250));
    assertThat(HumanDuration.parse(" 10 S ")).isEqualTo(Duration.ofSeconds(10));
    assertThat(HumanDuration.parse("0")).isEqualTo(Duration.ZERO);
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "", "-1s", "1d", "1.5.5s", "s", "2 seconds", "1e3"})
  void badDurationsAreRejected(String text) {
    assertThatThrownBy(() -> HumanDuration.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a duration like 2s or 500ms, got '" + text + "'");
  }

  @Test
  void absurdDurationsAreRejected() {
    assertThatThrownBy(() -> HumanDuration.parse("999999999999999999h"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("duration too long: '999999999999999999h'");
  }

  @Test
  void sizesParse() {
    assertThat(ByteSize.parse("8KiB")).isEqualTo(8192);
    assertThat(ByteSize.parse("8k")).isEqualTo(8192);
    assertThat(ByteSize.parse("1MiB")).isEqualTo(1 << 20);
    assertThat(ByteSize.parse("1m")).isEqualTo(1 << 20);
    assertThat(ByteSize.parse("2GiB")).isEqualTo(2L << 30);
    assertThat(ByteSize.parse("4096")).isEqualTo(4096);
    assertThat(ByteSize.parse("100b")).isEqualTo(100);
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "", "-1", "1.5k", "8KB", "1t"})
  void badSizesAreRejected(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a size like 8KiB, 8k or 1MiB, got '" + text + "'");
  }

  @Test
  void absurdSizesAreRejected() {
    assertThatThrownBy(() -> ByteSize.parse("999999999999999999g"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("size too large: '999999999999999999g'");
  }
}
