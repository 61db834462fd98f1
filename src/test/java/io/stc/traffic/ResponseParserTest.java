package io.stc.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResponseParserTest {
  private static ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  /** Feeds {@code text} cut at {@code cut}; true when the response completed exactly at the end. */
  private static boolean feedSplit(ResponseParser p, String text, int cut) throws Exception {
    ByteBuf a = bytes(text.substring(0, cut));
    ByteBuf b = bytes(text.substring(cut));
    boolean first = p.parse(a);
    if (first) {
      return !b.isReadable();
    }
    boolean done = p.parse(b);
    return done && !b.isReadable();
  }

  @Test
  void contentLengthResponseAtEverySplitPoint() throws Exception {
    String r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nx-served-by: b1 \r\nContent-Length: 5\r\n\r\nhello";
    for (int cut = 0; cut <= r.length(); cut++) {
      ResponseParser p = new ResponseParser(false, "X-Served-By", false);
      assertThat(feedSplit(p, r, cut)).as("cut at " + cut).isTrue();
      assertThat(p.status()).isEqualTo(200);
      assertThat(p.servedBy()).isEqualTo("b1");
      assertThat(p.keepAlive()).isTrue();
    }
  }

  @Test
  void chunkedResponseWithTrailersAtEverySplitPoint() throws Exception {
    String r = "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
        + "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n";
    for (int cut = 0; cut <= r.length(); cut++) {
      ResponseParser p = new ResponseParser(false, "X-Served-By", false);
      assertThat(feedSplit(p, r, cut)).as("cut at " + cut).isTrue();
      assertThat(p.status()).isEqualTo(201);
      assertThat(p.servedBy()).isNull();
    }
  }

  @Test
  void consecutiveResponsesOnOneConnectionReuseTheServedByString() throws Exception {
    ResponseParser p = new ResponseParser(false, "X-Served-By", false);
    String[] names = new String[2];
    for (int i = 0; i < 2; i++) {
      ByteBuf in = bytes("HTTP/1.1 200 OK\r\nX-Served-By: alpha\r\nContent-Length: 0\r\n\r\n");
      assertThat(p.parse(in)).isTrue();
      assertThat(in.isReadable()).isFalse();
      names[i] = p.servedBy();
    }
    assertThat(names[0]).isEqualTo("alpha").isSameAs(names[1]);
  }

  @Test
  void statusesWithoutBodyAndHeadRequests() throws Exception {
    ResponseParser p = new ResponseParser(false, "X-Served-By", false);
    assertThat(p.parse(bytes("HTTP/1.1 204 No Content\r\n\r\n"))).isTrue();
    assertThat(p.status()).isEqualTo(204);
    assertThat(p.parse(bytes("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"))).isTrue();

    ResponseParser head = new ResponseParser(true, "X-Served-By", false);
    assertThat(head.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"))).isTrue();
  }

  @Test
  void interimResponsesAreSkipped() throws Exception {
    ResponseParser p = new ResponseParser(false, "X-Served-By", false);
    assertThat(p.parse(bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))).isTrue();
    assertThat(p.status()).isEqualTo(200);
  }

  @Test
  void connectionPersistenceFollowsVersionAndConnectionHeader() throws Exception {
    ResponseParser p = new ResponseParser(false, "X-Served-By", false);
    p.parse(bytes("HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
    assertThat(p.status()).isEqualTo(503);
    assertThat(p.keepAlive()).isFalse();
    p.parse(bytes("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
    assertThat(p.keepAlive()).isFalse();
    p.parse(bytes("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"));
    assertThat(p.keepAlive()).isTrue();
  }

  @Test
  void bodyDelimitedByTheCloseEndsWhenTheConnectionCloses() throws Exception {
    ResponseParser p = new ResponseParser(false, "X-Served-By", false);
    assertThat(p.parse(bytes("HTTP/1.1 200 OK\r\n\r\nsome body"))).isFalse();
    assertThat(p.parse(bytes(" and more"))).isFalse();
    assertThat(p.closed()).isTrue();
    assertThat(p.status()).isEqualTo(200);
    assertThat(p.keepAlive()).isFalse();
  }

  @Test
  void collectsSetCookieValuesWhenAsked() throws Exception {
    ResponseParser p = new ResponseParser(false, "X-Served-By", true);
    p.parse(bytes("HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n"));
    assertThat(p.cookies()).containsExactly("a=1; Path=/", "b=2");
    p.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    assertThat(p.cookies()).isEmpty();
  }

  @Test
  void rejectsWhatIsNotHttp() {
    assertThatThrownBy(() -> new ResponseParser(false, "X", false).parse(bytes("SSH-2.0-OpenSSH\r\n")))
        .isInstanceOf(ResponseParser.MalformedResponse.class);
    assertThatThrownBy(() -> new ResponseParser(false, "X", false)
        .parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n")))
        .hasMessageContaining("Content-Length");
    assertThatThrownBy(() -> new ResponseParser(false, "X", false)
        .parse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")))
        .hasMessageContaining("chunk");
  }
}
