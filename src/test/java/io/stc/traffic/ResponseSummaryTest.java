package io.stc.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stc.traffic.ResponseSummary.Progress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The load generator's reading of responses, through the proxy's {@code ResponseReader}. */
class ResponseSummaryTest {
  private static ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  private static ResponseSummary summary(boolean head, boolean cookies) {
    ResponseSummary r = new ResponseSummary(head, "X-Served-By", cookies);
    r.reset();
    return r;
  }

  /** Reads {@code text} as the answer to one request, whole. */
  private static Progress read(ResponseSummary r, String text) {
    r.expect();
    ByteBuf in = bytes(text);
    try {
      Progress p = r.read(in);
      if (p != Progress.MALFORMED) {
        assertThat(in.isReadable()).as("the reader consumes what it is given").isFalse();
      }
      return p;
    } finally {
      in.release();
    }
  }

  /** Feeds {@code text} cut at {@code cut}; true when the response completed exactly at the end. */
  private static boolean feedSplit(ResponseSummary r, String text, int cut) {
    r.expect();
    ByteBuf a = bytes(text.substring(0, cut));
    ByteBuf b = bytes(text.substring(cut));
    try {
      Progress first = r.read(a);
      if (first == Progress.DONE) {
        return !b.isReadable();
      }
      return first == Progress.MORE && r.read(b) == Progress.DONE;
    } finally {
      a.release();
      b.release();
    }
  }

  @Test
  void contentLengthResponseAtEverySplitPoint() {
    String r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nx-served-by: b1 \r\nContent-Length: 5\r\n\r\nhello";
    for (int cut = 0; cut <= r.length(); cut++) {
      ResponseSummary s = summary(false, false);
      assertThat(feedSplit(s, r, cut)).as("cut at " + cut).isTrue();
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.servedBy()).isEqualTo("b1");
      assertThat(s.keepAlive()).isTrue();
    }
  }

  @Test
  void chunkedResponseWithTrailersAtEverySplitPoint() {
    String r = "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
        + "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n";
    for (int cut = 0; cut <= r.length(); cut++) {
      ResponseSummary s = summary(false, false);
      assertThat(feedSplit(s, r, cut)).as("cut at " + cut).isTrue();
      assertThat(s.status()).isEqualTo(201);
      assertThat(s.servedBy()).isNull();
      assertThat(s.keepAlive()).as("cut at " + cut).isTrue();
    }
  }

  @Test
  void everySplitPointOfTwoResponsesInARowOnOneConnection() {
    String first = "HTTP/1.1 200 OK\r\nX-Served-By: alpha\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n";
    String second = "HTTP/1.1 404 Not Found\r\nX-Served-By: beta\r\nContent-Length: 4\r\n\r\nnope";
    ResponseSummary s = summary(false, false);
    for (int cut = 0; cut <= second.length(); cut++) {
      assertThat(feedSplit(s, first, Math.min(cut, first.length()))).isTrue();
      assertThat(s.servedBy()).isEqualTo("alpha");
      assertThat(feedSplit(s, second, cut)).as("cut at " + cut).isTrue();
      assertThat(s.status()).isEqualTo(404);
      assertThat(s.servedBy()).isEqualTo("beta");
      assertThat(s.keepAlive()).isTrue();
    }
  }

  @Test
  void consecutiveResponsesOnOneConnectionReuseTheServedByString() {
    ResponseSummary s = summary(false, false);
    String[] names = new String[3];
    for (int i = 0; i < 3; i++) {
      String value = i == 1 ? "beta" : "alpha";
      assertThat(read(s, "HTTP/1.1 200 OK\r\nX-Served-By: " + value + "\r\nContent-Length: 0\r\n\r\n")).isEqualTo(Progress.DONE);
      names[i] = s.servedBy();
    }
    assertThat(names[0]).isEqualTo("alpha").isSameAs(names[2]);
    assertThat(names[1]).isEqualTo("beta");
  }

  @Test
  void statusesWithoutBodyAndHeadRequests() {
    ResponseSummary s = summary(false, false);
    assertThat(read(s, "HTTP/1.1 204 No Content\r\n\r\n")).isEqualTo(Progress.DONE);
    assertThat(s.status()).isEqualTo(204);
    assertThat(read(s, "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")).isEqualTo(Progress.DONE);
    assertThat(s.status()).isEqualTo(304);
    assertThat(s.keepAlive()).isTrue();

    ResponseSummary head = summary(true, false);
    assertThat(read(head, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")).isEqualTo(Progress.DONE);
    assertThat(head.keepAlive()).isTrue();
    assertThat(read(head, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")).isEqualTo(Progress.DONE);
    assertThat(head.keepAlive()).isTrue();
  }

  @Test
  void interimResponsesAreSkipped() {
    ResponseSummary s = summary(false, false);
    assertThat(read(s, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")).isEqualTo(Progress.DONE);
    assertThat(s.status()).isEqualTo(200);
    assertThat(s.keepAlive()).isTrue();
  }

  @Test
  void switchingProtocolsEndsTheExchangeAndTheConnection() {
    ResponseSummary s = summary(false, false);
    assertThat(read(s, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u0081\u0002hi"))
        .isEqualTo(Progress.DONE);
    assertThat(s.status()).isEqualTo(101);
    assertThat(s.keepAlive()).isFalse();
  }

  @Test
  void connectionPersistenceFollowsVersionAndConnectionHeader() {
    ResponseSummary s = summary(false, false);
    read(s, "HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    assertThat(s.status()).isEqualTo(503);
    assertThat(s.keepAlive()).isFalse();
    s.reset();
    read(s, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    assertThat(s.keepAlive()).isFalse();
    s.reset();
    read(s, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n");
    assertThat(s.keepAlive()).isTrue();
    read(s, "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n");
    assertThat(s.keepAlive()).isFalse();
  }

  @Test
  void bytesBeyondTheResponseAskedForMakeTheConnectionUnusable() {
    ResponseSummary s = summary(false, false);
    assertThat(read(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n")).isEqualTo(Progress.DONE);
    assertThat(s.status()).isEqualTo(200);
    assertThat(s.keepAlive()).isFalse();
  }

  @Test
  void bodyDelimitedByTheCloseEndsWhenTheConnectionCloses() {
    ResponseSummary s = summary(false, false);
    assertThat(read(s, "HTTP/1.1 200 OK\r\n\r\nsome body")).isEqualTo(Progress.MORE);
    ByteBuf more = bytes(" and more");
    assertThat(s.read(more)).isEqualTo(Progress.MORE);
    more.release();
    assertThat(s.closed()).isTrue();
    assertThat(s.status()).isEqualTo(200);
    assertThat(s.keepAlive()).isFalse();
  }

  @Test
  void aCloseInTheMiddleOfAFramedResponseEndsNothing() {
    ResponseSummary s = summary(false, false);
    assertThat(read(s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")).isEqualTo(Progress.MORE);
    assertThat(s.closed()).isFalse();
    s.reset();
    assertThat(read(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")).isEqualTo(Progress.MORE);
    assertThat(s.closed()).isFalse();
  }

  @Test
  void collectsSetCookieValuesWhenAsked() {
    ResponseSummary s = summary(false, true);
    read(s, "HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n");
    assertThat(s.cookies()).containsExactly("a=1; Path=/", "b=2");
    read(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assertThat(s.cookies()).isEmpty();
    ResponseSummary without = summary(false, false);
    read(without, "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n\r\n");
    assertThat(without.cookies()).isEmpty();
  }

  @Test
  void rejectsWhatIsNotHttp() {
    assertThat(read(summary(false, false), "SSH-2.0-OpenSSH\r\n\r\n")).isEqualTo(Progress.MALFORMED);
    assertThat(read(summary(false, false), "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n")).isEqualTo(Progress.MALFORMED);
    assertThat(read(summary(false, false), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
        .isEqualTo(Progress.MALFORMED);
    assertThat(read(summary(false, false), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n"))
        .as("no CRLF after a chunk").isEqualTo(Progress.MALFORMED);
    assertThat(read(summary(false, false), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a field\r\n\r\n"))
        .as("a trailer that is no field").isEqualTo(Progress.MALFORMED);
  }

  @Test
  void whitespaceBeforeAColonIsMalformedAsTheProxySeesIt() {
    // The old load-generator parser trimmed it; the proxy never has (RFC 9112 5.1: reject).
    assertThat(read(summary(false, false), "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok")).isEqualTo(Progress.MALFORMED);
    assertThat(read(summary(false, false), "HTTP/1.1 200 OK\r\nX-Served-By\t: b1\r\nContent-Length: 0\r\n\r\n"))
        .isEqualTo(Progress.MALFORMED);
  }

  @Test
  void conflictingContentLengthsAreMalformedAsTheProxySeesIt() {
    // The old load-generator parser took the last one; two lengths are a smuggling vector.
    assertThat(read(summary(false, false), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nok"))
        .isEqualTo(Progress.MALFORMED);
    ResponseSummary same = summary(false, false);
    assertThat(read(same, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok")).isEqualTo(Progress.DONE);
    assertThat(same.keepAlive()).isTrue();
  }

  @Test
  void aMalformedResponseSplitAnywhereIsStillMalformed() {
    String r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok";
    for (int cut = 0; cut <= r.length(); cut++) {
      ResponseSummary s = summary(false, false);
      s.expect();
      ByteBuf a = bytes(r.substring(0, cut));
      ByteBuf b = bytes(r.substring(cut));
      Progress first = s.read(a);
      Progress second = first == Progress.MORE ? s.read(b) : first;
      a.release();
      b.release();
      assertThat(second).as("cut at " + cut).isEqualTo(Progress.MALFORMED);
    }
  }

  @Test
  void aNewConnectionForgetsAPartialResponse() {
    ResponseSummary s = summary(false, false);
    assertThat(read(s, "HTTP/1.1 200 OK\r\nContent-Le")).isEqualTo(Progress.MORE);
    s.reset();
    assertThat(read(s, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")).isEqualTo(Progress.DONE);
    assertThat(s.status()).isEqualTo(202);
    assertThat(s.keepAlive()).isTrue();
  }
}
