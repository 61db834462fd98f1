package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.StcConfig.RateLimit;
import io.stc.config.StcConfig.RateLimit.Per;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RateLimitSectionTest {
  @TempDir Path dir;

  private RateLimit rateLimit(String yaml) throws IOException {
    return ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)).rateLimit();
  }

  /** The error for this file, without the leading "path:". */
  private String error(String yaml) throws IOException {
    return ConfigFiles.error(dir, "bad.yaml", yaml);
  }

  @Test
  void absentOrEmptyIsOff() throws IOException {
    assertThat(rateLimit("port: 1\n")).isEqualTo(RateLimit.defaults());
    assertThat(rateLimit("rate_limit:\n")).isEqualTo(RateLimit.defaults());
    assertThat(RateLimit.defaults().enabled()).isFalse();
  }

  @Test
  void presentTurnsItOnWithDefaults() throws IOException {
    assertThat(rateLimit("rate_limit: {}\n")).isEqualTo(new RateLimit(Per.IP, "X-Api-Key", 100, 200, 100_000));
    // The burst defaults to two seconds' worth of the rate.
    assertThat(rateLimit("rate_limit: {rps: 5}\n")).isEqualTo(new RateLimit(Per.IP, "X-Api-Key", 5, 10, 100_000));
    assertThat(rateLimit("rate_limit: {rps: 0.2}\n").burst()).isEqualTo(1);
  }

  @Test
  void everyKey() throws IOException {
    assertThat(rateLimit("rate_limit:\n  per: header\n  header: X-Tenant\n  rps: 2.5\n  burst: 7\n  max_clients: 50\n"))
        .isEqualTo(new RateLimit(Per.HEADER, "X-Tenant", 2.5, 7, 50));
    assertThat(rateLimit("rate_limit: {per: HEADER}\n").header()).isEqualTo("X-Api-Key");
    assertThat(rateLimit("rate_limit: {per: ip, rps: 1000000, burst: 1000000, max_clients: 1}\n"))
        .isEqualTo(new RateLimit(Per.IP, "X-Api-Key", 1_000_000, 1_000_000, 1));
  }

  @Test
  void mistakesNameTheirLine() throws IOException {
    assertThat(error("rate_limit:\n  per: user\n"))
        .isEqualTo("2: rate_limit.per: expected ip or header, got 'user'");
    assertThat(error("rate_limit:\n  per: ip\n  header: X-Api-Key\n"))
        .isEqualTo("3: rate_limit.header: only for per: header (per: ip keys clients by their address)");
    assertThat(error("rate_limit:\n  per: header\n  header: 'bad name'\n"))
        .isEqualTo("3: rate_limit.header: expected a header name like X-Api-Key, got 'bad name'");
    assertThat(error("rate_limit:\n  rps: 0\n")).startsWith("2: rate_limit.rps: expected a number from 0.001 to 1000000");
    assertThat(error("rate_limit:\n  rps: lots\n")).startsWith("2: rate_limit.rps: expected a number");
    assertThat(error("rate_limit:\n  burst: 0\n")).startsWith("2: rate_limit.burst:");
    assertThat(error("rate_limit:\n  max_clients: 0\n")).startsWith("2: rate_limit.max_clients:");
    assertThat(error("rate_limit:\n  rate: 5\n")).startsWith("2: rate_limit.rate:");
    assertThat(error("rate_limit: 100\n")).startsWith("1: rate_limit:");
  }
}
