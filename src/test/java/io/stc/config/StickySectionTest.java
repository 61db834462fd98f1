package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.StcConfig.Sticky;
import io.stc.config.StcConfig.Sticky.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StickySectionTest {
  @TempDir Path dir;

  private Sticky sticky(String yaml) throws IOException {
    return ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)).sticky();
  }

  /** The error for this file, without the leading "path:". */
  private String error(String yaml) throws IOException {
    return ConfigFiles.error(dir, "bad.yaml", yaml);
  }

  @Test
  void absentOrEmptyIsOff() throws IOException {
    assertThat(sticky("port: 1\n")).isEqualTo(Sticky.defaults());
    assertThat(sticky("sticky:\n")).isEqualTo(Sticky.defaults());
    assertThat(Sticky.defaults().enabled()).isFalse();
    assertThat(ConfigLoader.load(Files.writeString(dir.resolve("d.yaml"), "")).stateDir()).isEqualTo(".stc-state");
  }

  @Test
  void cookieModeDefaults() throws IOException {
    Sticky s = sticky("sticky: {mode: cookie}\n");

    assertThat(s).isEqualTo(new Sticky(Mode.COOKIE, "STC_SID", Duration.ofHours(1), 100_000, false, null));
    assertThat(s.enabled()).isTrue();
  }

  @Test
  void everyKeyOfEachMode() throws IOException {
    assertThat(sticky("sticky:\n  mode: cookie\n  name: SRV\n  ttl: 2h\n  honour_draining: yes\n  key: 0123456789abcdef\n"))
        .isEqualTo(new Sticky(Mode.COOKIE, "SRV", Duration.ofHours(2), 100_000, true, "0123456789abcdef"))
        .satisfies(s -> assertThat(s.toString()).doesNotContain("0123456789abcdef"));
    assertThat(sticky("sticky: {mode: IP, ttl: 90s, max_sessions: 10}\n"))
        .isEqualTo(new Sticky(Mode.IP, "STC_SID", Duration.ofSeconds(90), 10, false, null));
  }

  @Test
  void mistakesNameTheirLine() throws IOException {
    assertThat(error("port: 1\nsticky:\n  ttl: 1h\n")).isEqualTo("2: sticky.mode: missing (required)");
    assertThat(error("sticky:\n  mode: session\n"))
        .isEqualTo("2: sticky.mode: expected cookie, ip or header, got 'session'");
    assertThat(error("sticky:\n  mode: header\n  ttl: 1h\n"))
        .isEqualTo("1: sticky.name: missing (required in header mode: the request header that carries the session key)");
    assertThat(error("sticky:\n  mode: ip\n  name: X\n"))
        .isEqualTo("3: sticky.name: only for cookie and header modes (ip mode keys sessions by client address)");
    assertThat(error("sticky:\n  mode: cookie\n  max_sessions: 10\n"))
        .isEqualTo("3: sticky.max_sessions: only for ip and header modes (cookie sessions keep no table)");
    assertThat(error("sticky:\n  mode: header\n  name: X-S\n  key: 0123456789abcdef\n"))
        .isEqualTo("4: sticky.key: only for cookie mode (it signs the cookies)");
    assertThat(error("sticky:\n  mode: cookie\n  key: short-secret\n"))
        .isEqualTo("3: sticky.key: must be at least 16 characters long (a random secret)")
        .doesNotContain("short-secret'");
    assertThat(error("sticky:\n  mode: cookie\n  ttl: 500ms\n")).isEqualTo("3: sticky.ttl: must be at least 1s, got '500ms'");
    assertThat(error("sticky:\n  mode: cookie\n  name: my cookie\n"))
        .startsWith("3: sticky.name: expected a name of letters, digits and");
    assertThat(error("sticky:\n  mode: ip\n  max_sessions: 0\n"))
        .isEqualTo("3: sticky.max_sessions: expected an integer from 1 to 10000000, got 0");
    assertThat(error("sticky:\n  mode: ip\n  honour_draining: sometimes\n"))
        .isEqualTo("3: sticky.honour_draining: expected true or false, got 'sometimes'");
    assertThat(error("sticky:\n  mode: ip\n  ttl_: 1h\n")).startsWith("3: sticky.ttl_: unknown key (known: mode, name, ttl,");
    assertThat(error("sticky: cookie\n")).isEqualTo("1: sticky: expected a mapping, got 'cookie'");
    assertThat(error("state_dir: \"\"\n")).isEqualTo("1: state_dir: must not be empty");
  }
}
