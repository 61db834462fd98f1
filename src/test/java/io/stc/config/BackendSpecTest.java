package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.config.StcConfig.BackendConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackendSpecTest {
  @Test
  void parsesGoodSpecs() {
    assertThat(BackendSpec.parse("localhost:3001")).isEqualTo(new BackendConfig("localhost", 3001, 1));
    assertThat(BackendSpec.parse("10.0.0.1:80:5")).isEqualTo(new BackendConfig("10.0.0.1", 80, 5));
    assertThat(BackendSpec.parse(" api.internal:65535:0 ")).isEqualTo(new BackendConfig("api.internal", 65535, 0));
    assertThat(BackendSpec.parse("[::1]:8080")).isEqualTo(new BackendConfig("::1", 8080, 1));
    assertThat(BackendSpec.parse("[fe80::1]:8080:1000")).isEqualTo(new BackendConfig("fe80::1", 8080, 1000));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "localhost       | missing port",
    "localhost:      | missing port",
    ":8080           | missing host",
    "''              | empty",
    "h:abc           | port 'abc' is not a number from 1 to 65535",
    "h:0             | port '0' is not a number from 1 to 65535",
    "h:65536         | port '65536' is not a number from 1 to 65535",
    "h:80:x          | weight 'x' is not a number from 0 to 1000",
    "h:80:1001       | weight '1001' is not a number from 0 to 1000",
    "h:80:-1         | weight '-1' is not a number from 0 to 1000",
    "::1:8080        | too many ':' (IPv6 addresses go in brackets, like [::1]:8080)",
    "[::1:8080       | missing ']' after the IPv6 address",
    "[::1]8080       | expected ':' after ']'",
    "[::1]           | missing port",
    "[]:80           | missing host",
    "http://h:80     | give host:port without a scheme",
  })
  void rejectsBadSpecs(String spec, String why) {
    assertThatThrownBy(() -> BackendSpec.parse(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bad backend '" + spec + "': " + why + "; expected host:port[:weight]");
  }
}
