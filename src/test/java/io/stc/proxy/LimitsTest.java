package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.StcConfig;
import io.stc.testing.RawHttp;
import io.stc.testing.TestCluster;
import org.junit.jupiter.api.Test;

class LimitsTest {

  @Test
  void bodiesOverTheLimitAre413AndTooManyHeaders431() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> cfg.withLimits(StcConfig.Limits.defaults().withHeaders(20).withBody(1000)))) {
      long before = c.backends.get(0).requests();
      String declared = RawHttp.exchange(c.stc.port(),
          "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + "a".repeat(5000));
      assertThat(declared).startsWith("HTTP/1.1 413");
      assertThat(c.backends.get(0).requests()).isEqualTo(before);

      // A chunked body gives no size up front: it is cut off when it crosses the limit.
      String chunk = Integer.toHexString(600) + "\r\n" + "b".repeat(600) + "\r\n";
      String chunked = RawHttp.exchange(c.stc.port(),
          "POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk + "0\r\n\r\n");
      assertThat(chunked).startsWith("HTTP/1.1 413");

      StringBuilder many = new StringBuilder("GET /h HTTP/1.1\r\nHost: x\r\n");
      for (int i = 0; i < 30; i++) {
        many.append("X-H").append(i).append(": v\r\n");
      }
      assertThat(RawHttp.exchange(c.stc.port(), many.append("\r\n").toString())).startsWith("HTTP/1.1 431");

      String small = RawHttp.exchange(c.stc.port(),
          "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789");
      assertThat(small).startsWith("HTTP/1.1 200");
    }
  }
}
