package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AcceptEncodingTest {
  @Test
  void gzipIsTakenWhenNamedOrCoveredByAStarWithAWeightAboveZero() {
    assertThat(ResponseCompression.acceptsGzip("gzip, deflate, br")).isTrue();
    assertThat(ResponseCompression.acceptsGzip("GZIP;q=0.5")).isTrue();
    assertThat(ResponseCompression.acceptsGzip("x-gzip")).isTrue();
    assertThat(ResponseCompression.acceptsGzip("*")).isTrue();
    assertThat(ResponseCompression.acceptsGzip("br, *;q=0.1")).isTrue();
    assertThat(ResponseCompression.acceptsGzip(null)).isFalse();
    assertThat(ResponseCompression.acceptsGzip("")).isFalse();
    assertThat(ResponseCompression.acceptsGzip("identity")).isFalse();
    assertThat(ResponseCompression.acceptsGzip("br, deflate")).isFalse();
    assertThat(ResponseCompression.acceptsGzip("gzip;q=0")).isFalse();
    assertThat(ResponseCompression.acceptsGzip("gzip;q=0.000")).isFalse();
    assertThat(ResponseCompression.acceptsGzip("*, gzip;q=0")).isFalse();
    assertThat(ResponseCompression.acceptsGzip("gzip;q=nonsense")).as("a weight that is no number refuses").isFalse();
  }
}
