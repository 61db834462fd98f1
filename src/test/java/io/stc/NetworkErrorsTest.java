package io.stc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NetworkErrorsTest {
  @Test
  void nativeCallsErrnosAndAddressesGo() {
    assertThat(NetworkErrors.plain("cannot connect to 127.0.0.1:1: finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:1"))
        .isEqualTo("cannot connect to 127.0.0.1:1: connection refused");
    assertThat(NetworkErrors.plain("bind(..) failed with error(-98): Address already in use")).isEqualTo("address already in use");
    assertThat(NetworkErrors.plain("connect(..) failed: Connection refused: localhost/127.0.0.1:8080")).isEqualTo("connection refused");
    assertThat(NetworkErrors.plain("Connection refused: /[0:0:0:0:0:0:0:1]:9")).isEqualTo("connection refused");
    assertThat(NetworkErrors.plain("Address already in use")).isEqualTo("address already in use");
    assertThat(NetworkErrors.plain("timed out")).isEqualTo("timed out");
    assertThat(NetworkErrors.plain((String) null)).isEqualTo("unknown error");
  }
}
