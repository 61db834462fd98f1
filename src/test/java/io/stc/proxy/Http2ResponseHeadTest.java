package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A backend's HTTP/1.1 head as the fields of an HTTP/2 client's HEADERS frame, head after head on one connection. */
class Http2ResponseHeadTest {
  private final ResponseHead head = new ResponseHead(ResponseHead.ascii("x-served-by"));
  private final HeaderRewriter rewriter = new HeaderRewriter("X-Served-By", "max-age=60", null, null);

  private Http2Headers convert(String raw, String cookie) {
    ByteBuf in = Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1);
    assertThat(head.parse(in, 0, in.readableBytes())).isTrue();
    return rewriter.http2ResponseHead(head, "b1", cookie, null);
  }

  private static List<String> fields(Http2Headers h) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<CharSequence, CharSequence> e : h) {
      out.add(e.getKey() + ": " + e.getValue());
    }
    return out;
  }

  @Test
  void forwardsFieldsInLowerCaseWithoutHopByHopOnesThenTheProxysOwn() {
    Http2Headers h = convert("HTTP/1.1 200 OK\r\nServer: origin\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
        + "Transfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\nX-Served-By: spoofed\r\nContent-Type: text/plain\r\n\r\n", "s=1");
    assertThat(h.status().toString()).isEqualTo("200");
    assertThat(fields(h)).containsExactly(":status: 200", "server: origin", "content-type: text/plain",
        "x-served-by: b1", "strict-transport-security: max-age=60", "set-cookie: s=1");
  }

  @Test
  void aLaterHeadOnTheSameConnectionGetsItsOwnNamesAndValues() {
    convert("HTTP/1.1 200 OK\r\nDate: Sat, 05 Dec 2026 07:00:00 GMT\r\nContent-Length: 3\r\nETag: \"a\"\r\n\r\n", null);
    Http2Headers same = convert("HTTP/1.1 200 OK\r\nDate: Sat, 05 Dec 2026 07:00:00 GMT\r\nContent-Length: 3\r\nETag: \"a\"\r\n\r\n", null);
    // Same length, one byte apart; then names moved to other lines, and a name that differs only in case.
    Http2Headers next = convert("HTTP/1.1 404 Not Found\r\nDate: Sat, 05 Dec 2026 07:00:01 GMT\r\nETag: \"b\"\r\n"
        + "CONTENT-LENGTH: 9\r\n\r\n", null);
    Http2Headers longer = convert("HTTP/1.1 200 OK\r\nDate: Sat, 05 Dec 2026 07:00:01 GMT\r\nETag: \"b\"\r\n"
        + "Content-Length: 9\r\nVary: a\r\nVary: b\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\nI: 9\r\n"
        + "J: 10\r\nK: 11\r\nL: 12\r\nM: 13\r\n\r\n", null);

    assertThat(fields(same)).containsExactly(":status: 200", "date: Sat, 05 Dec 2026 07:00:00 GMT", "content-length: 3",
        "etag: \"a\"", "x-served-by: b1", "strict-transport-security: max-age=60");
    assertThat(fields(next)).containsExactly(":status: 404", "date: Sat, 05 Dec 2026 07:00:01 GMT", "etag: \"b\"",
        "content-length: 9", "x-served-by: b1", "strict-transport-security: max-age=60");
    assertThat(fields(longer)).hasSize(1 + 3 + 15 + 2).contains("m: 13", "vary: a", "vary: b");
    // What an earlier HEADERS frame holds is never changed by a later head.
    assertThat(fields(same)).contains("date: Sat, 05 Dec 2026 07:00:00 GMT", "etag: \"a\"");
  }
}
