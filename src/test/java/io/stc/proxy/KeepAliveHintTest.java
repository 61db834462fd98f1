package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The idle timeout a backend states in its Keep-Alive header, read as it is sent and refused when it is not a number of seconds. */
class KeepAliveHintTest {
  private final ResponseHead head = new ResponseHead(null);

  private long timeout(String fields) {
    ByteBuf in = Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + fields + "\r\n", StandardCharsets.ISO_8859_1);
    assertThat(head.parse(in, 0, in.readableBytes())).isTrue();
    return head.keepAliveTimeoutSeconds();
  }

  @Test
  void theTimeoutAsNodeApacheAndOthersSendIt() {
    assertThat(timeout("Keep-Alive: timeout=5\r\n")).as("Node").isEqualTo(5);
    assertThat(timeout("Keep-Alive: timeout=5, max=100\r\n")).as("Apache").isEqualTo(5);
    assertThat(timeout("keep-alive: max=99,timeout=15\r\n")).isEqualTo(15);
    assertThat(timeout("Keep-Alive: TIMEOUT = 30 \r\n")).isEqualTo(30);
    assertThat(timeout("Keep-Alive: timeout=0\r\n")).isZero();
  }

  @Test
  void nothingReadableIsNoLimit() {
    assertThat(timeout("")).isEqualTo(-1);
    assertThat(timeout("Keep-Alive: max=100\r\n")).isEqualTo(-1);
    assertThat(timeout("Keep-Alive: timeout=\r\n")).isEqualTo(-1);
    assertThat(timeout("Keep-Alive: timeout=5s\r\n")).isEqualTo(-1);
    assertThat(timeout("Keep-Alive: timeout=-5\r\n")).isEqualTo(-1);
    assertThat(timeout("Keep-Alive: timeouts=5\r\n")).isEqualTo(-1);
    assertThat(timeout("Keep-Alive: timeout=99999999999\r\n")).as("beyond nine digits").isEqualTo(-1);
    assertThat(timeout("X-Keep-Alive: timeout=5\r\n")).isEqualTo(-1);
  }

  @Test
  void eachHeadOnAConnectionSaysItsOwn() {
    assertThat(timeout("Keep-Alive: timeout=5\r\n")).isEqualTo(5);
    assertThat(timeout("")).as("the next response on the same connection said nothing").isEqualTo(-1);
  }
}
