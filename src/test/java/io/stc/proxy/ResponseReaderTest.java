package io.stc.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Unit tests of the byte-level backend response reader, its {@link ResponseHead}, and the head writer. */
class ResponseReaderTest {
  private static final String CL_RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A:  b \r\n\r\nabc";
  private static final String CHUNKED_HEAD = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n";
  private static final String CHUNKED_BODY =
      "3;ext=1\r\nabc\r\n5 ; name=\"v\"\r\ndefgh\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";

  /** Records what the reader reports; copies everything at call time since the head is reused. */
  static final class Rec implements ResponseReader.Sink {
    final List<Integer> statuses = new ArrayList<>();
    final List<Long> lengths = new ArrayList<>();
    final List<Boolean> chunked = new ArrayList<>();
    final List<Boolean> keepAlive = new ArrayList<>();
    final List<String> kept = new ArrayList<>();
    final StringBuilder body = new StringBuilder();
    final StringBuilder tunnel = new StringBuilder();
    int ends;
    int bads;
    Consumer<ResponseHead> onHead = h -> {};

    @Override
    public void onResponseHead(ResponseHead head) {
      statuses.add(head.status);
      lengths.add(head.contentLength);
      chunked.add(head.chunked);
      keepAlive.add(head.keepAlive());
      ByteBuf out = Unpooled.buffer();
      head.writeKept(out);
      kept.add(out.toString(US_ASCII));
      out.release();
      onHead.accept(head);
    }

    @Override
    public void onResponseBody(ByteBuf piece) {
      body.append(piece.toString(US_ASCII));
      piece.release();
    }

    @Override
    public void onResponseEnd() {
      ends++;
    }

    @Override
    public void onTunnelBytes(ByteBuf bytes) {
      tunnel.append(bytes.toString(US_ASCII));
      bytes.release();
    }

    @Override
    public void onBadResponse() {
      bads++;
    }

    String summary(ResponseReader reader) {
      return statuses + "|" + lengths + "|" + chunked + "|" + keepAlive + "|" + kept + "|body=" + body
          + "|tunnel=" + tunnel + "|ends=" + ends + "|bads=" + bads + "|leftover=" + reader.hasLeftover();
    }
  }

  private static void read(ResponseReader reader, Rec rec, String part) {
    ByteBuf in = Unpooled.copiedBuffer(part, US_ASCII);
    try {
      reader.read(in, rec);
    } finally {
      in.release();
    }
    assertThat(in.refCnt()).as("every slice handed on was released, none kept by the reader").isZero();
  }

  private static Rec feed(ResponseReader reader, boolean headRequest, boolean keepFraming, String... parts) {
    Rec rec = new Rec();
    reader.expect(headRequest, keepFraming);
    for (String p : parts) {
      read(reader, rec, p);
    }
    return rec;
  }

  private static Rec feed(String raw) {
    return feed(new ResponseReader(null), false, false, raw);
  }

  /** Feeds {@code raw} split at every byte position into two buffers and one byte at a time. */
  private static void assertSameAtEverySplit(String raw, boolean keepFraming, String expected) {
    for (int i = 1; i < raw.length(); i++) {
      ResponseReader reader = new ResponseReader(null);
      Rec rec = feed(reader, false, keepFraming, raw.substring(0, i), raw.substring(i));
      assertThat(rec.summary(reader)).as("split at %d", i).isEqualTo(expected);
    }
    ResponseReader reader = new ResponseReader(null);
    Rec rec = feed(reader, false, keepFraming, raw.split(""));
    assertThat(rec.summary(reader)).as("one byte at a time").isEqualTo(expected);
  }

  @Test
  void contentLengthResponseInOneBufferGivesHeadBodyAndOneEnd() {
    ResponseReader reader = new ResponseReader(null);
    Rec rec = feed(reader, false, false, CL_RESPONSE);
    assertThat(rec.statuses).containsExactly(200);
    assertThat(rec.lengths).containsExactly(3L);
    assertThat(rec.chunked).containsExactly(false);
    assertThat(rec.keepAlive).containsExactly(true);
    // Leading blanks of a value travel as they came; trailing ones are trimmed.
    assertThat(rec.kept).containsExactly("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A:  b\r\n");
    assertThat(rec.body.toString()).isEqualTo("abc");
    assertThat(rec.ends).isEqualTo(1);
    assertThat(rec.bads).isZero();
    assertThat(reader.hasLeftover()).isFalse();
  }

  @Test
  void contentLengthResponseReadsTheSameWhereverTheBuffersSplit() {
    ResponseReader whole = new ResponseReader(null);
    String expected = feed(whole, false, false, CL_RESPONSE).summary(whole);
    assertSameAtEverySplit(CL_RESPONSE, false, expected);
  }

  @Test
  void chunkedKeepFramingPassesTheExactRawBytesWhereverTheBuffersSplit() {
    ResponseReader whole = new ResponseReader(null);
    Rec rec = feed(whole, false, true, CHUNKED_HEAD + CHUNKED_BODY);
    assertThat(rec.body.toString()).isEqualTo(CHUNKED_BODY);
    assertThat(rec.ends).isEqualTo(1);
    assertThat(whole.hasLeftover()).isFalse();
    assertSameAtEverySplit(CHUNKED_HEAD + CHUNKED_BODY, true, rec.summary(whole));

    String simple = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    ResponseReader r2 = new ResponseReader(null);
    Rec rec2 = feed(r2, false, true, simple);
    assertThat(rec2.body.toString()).isEqualTo("3\r\nabc\r\n0\r\n\r\n");
    assertSameAtEverySplit(simple, true, rec2.summary(r2));
  }

  @Test
  void chunkedWithoutFramingGivesOnlyTheDataWhereverTheBuffersSplit() {
    ResponseReader whole = new ResponseReader(null);
    Rec rec = feed(whole, false, false, CHUNKED_HEAD + CHUNKED_BODY);
    assertThat(rec.body.toString()).isEqualTo("abcdefgh0123456789");
    assertThat(rec.ends).isEqualTo(1);
    assertThat(whole.hasLeftover()).isFalse();
    assertSameAtEverySplit(CHUNKED_HEAD + CHUNKED_BODY, false, rec.summary(whole));
  }

  @Test
  void chunkExtensionsAndTrailerAreStrippedWithoutFramingAndKeptWithIt() {
    String raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "4;a=b;c\r\nwiki\r\n5\tx\r\npedia\r\n0;last\r\nExpires: never\r\nX-T: 1\r\n\r\n";
    Rec data = feed(raw);
    assertThat(data.statuses).containsExactly(200);
    assertThat(data.chunked).containsExactly(true);
    assertThat(data.lengths).containsExactly(-1L);
    assertThat(data.body.toString()).isEqualTo("wikipedia");
    assertThat(data.ends).isEqualTo(1);
    Rec framed = feed(new ResponseReader(null), false, true, raw);
    assertThat(framed.body.toString()).isEqualTo(raw.substring(raw.indexOf("\r\n\r\n") + 4));
    assertThat(framed.ends).isEqualTo(1);
    assertThat(framed.bads).isZero();
  }

  @Test
  void interim100ContinueIsReportedBeforeTheFinalResponse() {
    ResponseReader reader = new ResponseReader(null);
    Rec rec = feed(reader, false, false,
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assertThat(rec.statuses).containsExactly(100, 200);
    assertThat(rec.kept).containsExactly("HTTP/1.1 100 Continue\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
    assertThat(rec.body.toString()).isEqualTo("ok");
    assertThat(rec.ends).isEqualTo(1);
    assertThat(reader.hasLeftover()).isFalse();
  }

  @Test
  void headRequestEndsAtTheHeadWhateverContentLengthSays() {
    ResponseReader reader = new ResponseReader(null);
    Rec rec = feed(reader, true, false, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
    assertThat(rec.lengths).containsExactly(10L);
    assertThat(rec.body.toString()).isEmpty();
    assertThat(rec.ends).isEqualTo(1);
    assertThat(reader.hasLeftover()).isFalse();
  }

  @Test
  void noContentAndNotModifiedHaveNoBody() {
    ResponseReader r204 = new ResponseReader(null);
    Rec rec204 = feed(r204, false, false, "HTTP/1.1 204 No Content\r\n\r\n");
    assertThat(rec204.statuses).containsExactly(204);
    assertThat(rec204.ends).isEqualTo(1);
    assertThat(r204.hasLeftover()).isFalse();
    ResponseReader r304 = new ResponseReader(null);
    Rec rec304 = feed(r304, false, false, "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n");
    assertThat(rec304.statuses).containsExactly(304);
    assertThat(rec304.body.toString()).isEmpty();
    assertThat(rec304.ends).isEqualTo(1);
    assertThat(r304.hasLeftover()).isFalse();
    Rec zero = feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assertThat(zero.ends).isEqualTo(1);
  }

  @Test
  void closeDelimitedBodyEndsOnlyWhenTheConnectionCloses() {
    ResponseReader reader = new ResponseReader(null);
    Rec rec = feed(reader, false, false, "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nsome", "more");
    assertThat(rec.lengths).containsExactly(-1L);
    assertThat(rec.body.toString()).isEqualTo("somemore");
    assertThat(rec.ends).isZero();
    assertThat(reader.hasLeftover()).as("mid-response").isTrue();
    reader.closed(rec);
    assertThat(rec.ends).isEqualTo(1);
    reader.closed(rec);
    assertThat(rec.ends).as("closed twice ends once").isEqualTo(1);

    ResponseReader done = new ResponseReader(null);
    Rec delimited = feed(done, false, false, CL_RESPONSE);
    done.closed(delimited);
    assertThat(delimited.ends).as("a closed after a delimited response ends nothing").isEqualTo(1);
  }

  @Test
  void bytesAfterTheResponseAreLeftoverNotASecondResponse() {
    String extra = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    for (String raw : List.of(
        CL_RESPONSE + extra,
        "HTTP/1.1 204 No Content\r\n\r\n" + extra,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + extra)) {
      ResponseReader reader = new ResponseReader(null);
      Rec rec = feed(reader, false, false, raw);
      assertThat(rec.statuses).as(raw).hasSize(1);
      assertThat(rec.ends).as(raw).isEqualTo(1);
      assertThat(reader.hasLeftover()).as(raw).isTrue();
      read(reader, rec, extra);
      assertThat(rec.statuses).as("later bytes ignored too").hasSize(1);
    }
  }

  @Test
  void sameReaderReadsTheNextResponseOnAKeptAliveConnection() {
    ResponseReader reader = new ResponseReader(null);
    Rec first = feed(reader, false, true, CHUNKED_HEAD + CHUNKED_BODY);
    assertThat(first.ends).isEqualTo(1);
    Rec second = feed(reader, false, false, "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno");
    assertThat(second.statuses).containsExactly(404);
    assertThat(second.chunked).containsExactly(false);
    assertThat(second.kept).containsExactly("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n");
    assertThat(second.body.toString()).isEqualTo("no");
    assertThat(reader.hasLeftover()).isFalse();
  }

  @Test
  void chunkedLastAfterOtherCodingsFramesByChunksAndAWordContainingChunkedDoesNot() {
    Rec coded = feed(new ResponseReader(null), false, false,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    assertThat(coded.chunked).containsExactly(true);
    assertThat(coded.body.toString()).isEqualTo("abc");
    assertThat(coded.ends).isEqualTo(1);

    // Not the chunked coding: the body runs to the close (RFC 9112 6.3).
    ResponseReader reader = new ResponseReader(null);
    Rec word = feed(reader, false, false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: notchunked\r\n\r\n3\r\nabc\r\n");
    assertThat(word.chunked).containsExactly(false);
    assertThat(word.ends).isZero();
    assertThat(word.bads).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "status line not HTTP/1.x | HTTP/2.0 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n",
        "two-digit status code | HTTP/1.1 20 OK\\r\\nContent-Length: 0\\r\\n\\r\\n",
        "garbage status line | hello there world\\r\\n\\r\\n",
        "header line without colon | HTTP/1.1 200 OK\\r\\nNoColonHere\\r\\nContent-Length: 0\\r\\n\\r\\n",
        "space before the colon | HTTP/1.1 200 OK\\r\\nContent-Length : 3\\r\\n\\r\\nabc",
        "obs-fold continuation line | HTTP/1.1 200 OK\\r\\nX-A: a\\r\\n  folded\\r\\nContent-Length: 0\\r\\n\\r\\n",
        "conflicting Content-Length | HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\nContent-Length: 4\\r\\n\\r\\nabc",
        "non-numeric Content-Length | HTTP/1.1 200 OK\\r\\nContent-Length: 3x\\r\\n\\r\\nabc",
        "bad chunk size | HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\nabc\\r\\n0\\r\\n\\r\\n",
        "chunk data longer than its size | HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabcd\\r\\n0\\r\\n\\r\\n",
        "a separator in a field name | HTTP/1.1 200 OK\\r\\nX(A): a\\r\\nContent-Length: 0\\r\\n\\r\\n",
        "a NUL in a field value | HTTP/1.1 200 OK\\r\\nX-A: a\\0b\\r\\nContent-Length: 0\\r\\n\\r\\n",
        "a bare CR in a field value | HTTP/1.1 200 OK\\r\\nX-A: a\\rb\\r\\nContent-Length: 0\\r\\n\\r\\n",
        "chunked not the last coding | HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked, gzip\\r\\n\\r\\n3\\r\\nabc\\r\\n0\\r\\n\\r\\n",
        "chunked twice | HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked, chunked\\r\\n\\r\\n3\\r\\nabc\\r\\n0\\r\\n\\r\\n",
        "chunked on two lines | HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n",
        "a coding on a line after chunked | HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\nTransfer-Encoding: gzip\\r\\n\\r\\n0\\r\\n\\r\\n",
        "chunked with a parameter | HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked;q=1\\r\\n\\r\\n0\\r\\n\\r\\n",
        "an empty coding | HTTP/1.1 200 OK\\r\\nTransfer-Encoding: gzip,,chunked\\r\\n\\r\\n0\\r\\n\\r\\n",
      })
  void malformedResponseIsBadAndPoisonsTheConnection(String name, String raw) {
    ResponseReader reader = new ResponseReader(null);
    Rec rec = feed(reader, false, false, raw.replace("\\r", "\r").replace("\\n", "\n").replace("\\0", "\0"));
    assertThat(rec.bads).as(name).isEqualTo(1);
    assertThat(rec.ends).as(name).isZero();
    assertThat(reader.hasLeftover()).as(name).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bad chunk size | 3\\r\\nabc\\r\\nzz\\r\\nabc\\r\\n0\\r\\n\\r\\n | 3\\r\\nabc\\r\\n",
        "chunk data longer than its size | 3\\r\\nabcd\\r\\n0\\r\\n\\r\\n | 3\\r\\nabc",
        "chunk size line that never ends | 3\\r\\nabc\\r\\n1%s | 3\\r\\nabc\\r\\n",
      })
  void malformedChunkWithFramingKeptPassesOnOnlyTheBytesBeforeIt(String name, String body, String good) {
    String raw = CHUNKED_HEAD + body.replace("%s", ";x=" + "y".repeat(5000)).replace("\\r", "\r").replace("\\n", "\n");
    String expected = good.replace("\\r", "\r").replace("\\n", "\n");
    ResponseReader whole = new ResponseReader(null);
    Rec rec = feed(whole, false, true, raw);
    assertThat(rec.bads).as(name).isEqualTo(1);
    assertThat(rec.ends).as(name).isZero();
    assertThat(rec.body.toString()).as(name).isEqualTo(expected);
    assertSameAtEverySplit(raw, true, rec.summary(whole));
  }

  @Test
  void twoEqualContentLengthHeadersAreAccepted() {
    ResponseReader reader = new ResponseReader(null);
    Rec rec = feed(reader, false, false, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc");
    assertThat(rec.bads).isZero();
    assertThat(rec.lengths).containsExactly(3L);
    assertThat(rec.body.toString()).isEqualTo("abc");
    assertThat(rec.ends).isEqualTo(1);
    assertThat(reader.hasLeftover()).isFalse();
  }

  @Test
  void hopByHopConnectionNamedAndOwnServedByHeadersAreNotKeptButTrailerIs() {
    String raw = "HTTP/1.1 200 OK\r\n"
        + "Connection: close, X-Private\r\n"
        + "Keep-Alive: timeout=5\r\n"
        + "Proxy-Connection: keep-alive\r\n"
        + "TE: trailers\r\n"
        + "Trailer: X-T\r\n"
        + "Upgrade: h2c\r\n"
        + "Proxy-Authenticate: Basic\r\n"
        + "Proxy-Authorization: Basic eHl6\r\n"
        + "x-PRIVATE: secret\r\n"
        + "X-Served-By: backend-itself\r\n"
        + "Content-Type: Text/Plain\r\n"
        + "X-Custom-Header: Value\r\n"
        + "Content-Length: 3\r\n\r\nabc";
    Rec rec = feed(new ResponseReader(ResponseHead.ascii("x-served-by")), false, false, raw);
    assertThat(rec.kept).containsExactly(
        "HTTP/1.1 200 OK\r\nTrailer: X-T\r\nContent-Type: Text/Plain\r\nX-Custom-Header: Value\r\nContent-Length: 3\r\n");
    assertThat(rec.body.toString()).isEqualTo("abc");

    Rec both = feed(
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    assertThat(both.kept).containsExactly("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n");
    assertThat(both.lengths).containsExactly(-1L);
    assertThat(both.chunked).containsExactly(true);
    assertThat(both.body.toString()).isEqualTo("abc");
    assertThat(both.ends).isEqualTo(1);
  }

  @Test
  void keepAliveFollowsVersionAndConnectionTokens() {
    assertThat(feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive).containsExactly(true);
    assertThat(feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keepAlive)
        .containsExactly(false);
    assertThat(feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive).containsExactly(false);
    assertThat(feed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").keepAlive)
        .containsExactly(true);
  }

  @Test
  void switchingProtocolsTurnsTheRestIntoTunnelBytes() {
    ResponseReader reader = new ResponseReader(null);
    Rec rec = feed(reader, false, false,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nfirst", "-second");
    assertThat(rec.statuses).containsExactly(101);
    assertThat(rec.tunnel.toString()).isEqualTo("first-second");
    assertThat(rec.body.toString()).isEmpty();
    assertThat(rec.ends).isZero();
    assertThat(rec.bads).isZero();
  }

  @Test
  void headLargerThanMaxBytesIsBad() {
    String oneHugeLine = "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(ResponseHead.MAX_BYTES + 10) + "\r\n\r\n";
    Rec rec = feed(oneHugeLine);
    assertThat(rec.bads).isEqualTo(1);
    assertThat(rec.statuses).isEmpty();

    StringBuilder many = new StringBuilder("HTTP/1.1 200 OK\r\n");
    for (int i = 0; many.length() <= ResponseHead.MAX_BYTES; i++) {
      many.append("X-H").append(i).append(": ").append("v".repeat(40)).append("\r\n");
    }
    many.append("\r\n");
    ResponseReader reader = new ResponseReader(null);
    String s = many.toString();
    Rec rec2 = feed(reader, false, false, s.substring(0, 1000), s.substring(1000));
    assertThat(rec2.bads).isEqualTo(1);
    assertThat(rec2.statuses).isEmpty();
    assertThat(reader.hasLeftover()).isTrue();
  }

  /** Runs the reader over {@code raw} and writes the head for a client inside onResponseHead. */
  private static String[] writeHead(String raw, boolean http10Client, boolean keepClientAlive, String cookie) {
    HeaderRewriter rewriter = new HeaderRewriter("X-Served-By");
    String[] result = new String[2];
    Rec rec = new Rec();
    rec.onHead = head -> {
      ByteBuf out = Unpooled.buffer();
      HeaderRewriter.BodyFraming framing =
          rewriter.writeResponseHead(out, head, http10Client, keepClientAlive, true, "b1", cookie, null);
      result[0] = framing.name();
      result[1] = out.toString(US_ASCII);
      out.release();
    };
    ResponseReader reader = new ResponseReader(rewriter.servedByLowerCase());
    reader.expect(false, !http10Client);
    read(reader, rec, raw);
    assertThat(rec.statuses).hasSize(1);
    return result;
  }

  @Test
  void writeResponseHeadRechunksCloseDelimitedBodyForHttp11Client() {
    String[] r = writeHead("HTTP/1.1 200 OK\r\nX-A: 1\r\nx-served-by: self\r\n\r\nbody", false, true, null);
    assertThat(r[0]).isEqualTo("RECHUNK");
    assertThat(r[1]).isEqualTo(
        "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-Served-By: b1\r\ntransfer-encoding: chunked\r\n\r\n");
  }

  @Test
  void writeResponseHeadDropsChunkingAndClosesForHttp10Client() {
    String[] r = writeHead(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n3\r\nabc\r\n0\r\n\r\n", true, true, null);
    assertThat(r[0]).isEqualTo("UNTIL_CLOSE");
    assertThat(r[1]).isEqualTo("HTTP/1.1 200 OK\r\nX-A: 1\r\nX-Served-By: b1\r\nconnection: close\r\n\r\n");
    assertThat(r[1].toLowerCase()).doesNotContain("transfer-encoding");
  }

  @Test
  void writeResponseHeadSaysKeepAliveToHttp10ClientForContentLength() {
    String[] r = writeHead("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", true, true, null);
    assertThat(r[0]).isEqualTo("AS_IS");
    assertThat(r[1]).isEqualTo(
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Served-By: b1\r\nconnection: keep-alive\r\n\r\n");
  }

  @Test
  void writeResponseHeadAddsTheStickyCookieAndClosesWhenAsked() {
    String[] r = writeHead("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", false, false, "stc=b1; Path=/");
    assertThat(r[0]).isEqualTo("AS_IS");
    assertThat(r[1]).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Served-By: b1\r\n"
        + "connection: close\r\nset-cookie: stc=b1; Path=/\r\n\r\n");
  }

  @Test
  void strayEmptyLineBeforeTheStatusLineIsSkippedEvenWhenSplitBetweenCrAndLf() {
    ResponseReader whole = new ResponseReader(null);
    Rec one = feed(whole, false, false, "\r\n" + CL_RESPONSE);
    assertThat(one.statuses).containsExactly(200);
    assertThat(one.ends).isEqualTo(1);
    ResponseReader split = new ResponseReader(null);
    Rec two = feed(split, false, false, "\r", "\n" + CL_RESPONSE);
    assertThat(two.summary(split)).isEqualTo(one.summary(whole));
  }
  @Test
  void discardingSkipsEveryBodyWhereItLiesAndStillFramesIt() {
    String[] responses = {
      CL_RESPONSE,
      CHUNKED_HEAD + CHUNKED_BODY,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Served-By: b1\r\n\r\n"
          + "4\r\nbody\r\n0\r\nGrpc-Status: 0\r\nGrpc-Message: fine\r\n\r\n",
    };
    for (String raw : responses) {
      for (int i = 0; i <= raw.length(); i++) {
        ResponseReader reader = new ResponseReader(ResponseHead.ascii("x-served-by"));
        Rec rec = new Rec();
        reader.expectDiscarding(false);
        read(reader, rec, raw.substring(0, i));
        read(reader, rec, raw.substring(i));
        assertThat(rec.body.toString()).as("split at %d", i).isEmpty();
        assertThat(rec.ends).as("split at %d", i).isEqualTo(1);
        assertThat(rec.bads).isZero();
        assertThat(reader.trailers()).as("trailers are checked, not kept").isNull();
        assertThat(reader.hasLeftover()).isFalse();
      }
    }
    ResponseReader untilClose = new ResponseReader(null);
    Rec rec = new Rec();
    untilClose.expectDiscarding(false);
    read(untilClose, rec, "HTTP/1.1 200 OK\r\n\r\nall of this");
    read(untilClose, rec, " and this");
    untilClose.closed(rec);
    assertThat(rec.body.toString()).isEmpty();
    assertThat(rec.ends).isEqualTo(1);
  }

  @Test
  void theServedByValueIsOneStringPerDistinctValue() {
    ResponseReader reader = new ResponseReader(ResponseHead.ascii("x-served-by"));
    List<String> seen = new ArrayList<>();
    for (String v : new String[] {"alpha", "beta", "alpha"}) {
      Rec rec = new Rec();
      rec.onHead = h -> seen.add(h.servedBy());
      reader.expectDiscarding(false);
      read(reader, rec, "HTTP/1.1 200 OK\r\nx-served-by:  " + v + " \r\nX-Served-By: other\r\nContent-Length: 0\r\n\r\n");
    }
    assertThat(seen).containsExactly("alpha", "beta", "alpha");
    assertThat(seen.get(0)).isSameAs(seen.get(2));
    Rec none = new Rec();
    none.onHead = h -> seen.add(h.servedBy());
    reader.expectDiscarding(false);
    read(reader, none, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assertThat(seen).hasSize(4).last().isNull();
  }

  @Test
  void aResetForgetsHalfAResponseForTheNextConnection() {
    ResponseReader reader = new ResponseReader(null);
    Rec rec = new Rec();
    reader.expectDiscarding(false);
    read(reader, rec, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc");
    assertThat(reader.hasLeftover()).isTrue();
    reader.reset();
    assertThat(reader.hasLeftover()).isFalse();
    reader.expectDiscarding(true);
    read(reader, rec, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n");
    assertThat(rec.statuses).containsExactly(200, 404);
    assertThat(rec.ends).isEqualTo(1);
    assertThat(reader.hasLeftover()).isFalse();
  }
}
