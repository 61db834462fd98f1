package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GrpcStatusTest {
  @Test
  void grpcTimeoutsReadInTheirUnitsAndMalformedOnesAreNone() {
    assertThat(GrpcStatus.timeoutNanos("1H")).isEqualTo(3_600_000_000_000L);
    assertThat(GrpcStatus.timeoutNanos("250m")).isEqualTo(250_000_000L);
    assertThat(GrpcStatus.timeoutNanos("7n")).isEqualTo(7L);
    assertThat(GrpcStatus.timeoutNanos("99999999S")).isEqualTo(99_999_999_000_000_000L);
    assertThat(GrpcStatus.timeoutNanos(null)).isEqualTo(-1);
    assertThat(GrpcStatus.timeoutNanos("5")).isEqualTo(-1);
    assertThat(GrpcStatus.timeoutNanos("123456789S")).as("nine digits").isEqualTo(-1);
    assertThat(GrpcStatus.timeoutNanos("1x")).isEqualTo(-1);
    assertThat(GrpcStatus.timeoutNanos("-1S")).isEqualTo(-1);
  }

  @Test
  void hoursBeyondALongOfNanosecondsAreForeverNotAWrappedShortDeadline() {
    // 5,124,096 hours times 3.6e12 ns wraps a long to 1,526 s.
    assertThat(GrpcStatus.timeoutNanos("5124096H")).isEqualTo(Long.MAX_VALUE);
    assertThat(GrpcStatus.timeoutNanos("99999999H")).isEqualTo(Long.MAX_VALUE);
    assertThat(GrpcStatus.timeoutNanos("2562047H")).isEqualTo(2_562_047L * 3_600_000_000_000L);
  }
}
