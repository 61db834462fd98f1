package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TestCluster;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Clients that misbehave at the frame level, written byte by byte: each is cut off with a GOAWAY
 * while stc goes on serving others, and none gets unbounded work out of stc or its backends.
 */
class HostileHttp2ClientsTest {
  private static final int DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8, CONTINUATION = 9;
  private static final int END_STREAM = 1, END_HEADERS = 4;
  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private RecordingBackend backend;
  private TestCluster stc;

  @BeforeEach
  void start() throws Exception {
    backend = new RecordingBackend();
    stc = TestCluster.of(0, RawBackend::alone);
    stc.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
  }

  @AfterEach
  void stop() throws Exception {
    stc.close();
    backend.close();
  }

  /** CVE-2023-44487: HEADERS then RST_STREAM, again and again, costs the server a request each. */
  @Test
  void aRapidResetFloodIsCutOffAndBoundsTheBackendsWork() throws Exception {
    try (Hostile h = new Hostile()) {
      int sent = 0;
      for (int id = 1; id < 40_000 && !h.goAway.isDone(); id += 2) {
        if (!h.write(frame(HEADERS, END_STREAM | END_HEADERS, id, block(id, get("/reset")))) || !h.write(frame(RST_STREAM, 0, id, new byte[] {0, 0, 0, 8}))) {
          break;
        }
        sent++;
      }
      assertThat(h.goAway.get(20, TimeUnit.SECONDS)).isEqualTo(11); // ENHANCE_YOUR_CALM
      assertThat(sent).isPositive();
    }
    assertThat(backend.requests.size()).isLessThan(1_000);
    assertStillServes();
  }

  /**
   * CVE-2025-55163 ("MadeYouReset"): frames that are stream errors (here WINDOW_UPDATE of 0 on an
   * open stream) make stc reset stream after stream, the rapid reset with stc doing the resetting.
   */
  @Test
  void streamErrorsProvokedAgainAndAgainAreCutOff() throws Exception {
    try (Hostile h = new Hostile()) {
      for (int id = 1; id < 4_000 && !h.goAway.isDone(); id += 2) {
        Http2Headers post = new DefaultHttp2Headers().method("POST").scheme("http").authority("a").path("/provoked");
        if (!h.write(frame(HEADERS, END_HEADERS, id, block(id, post))) || !h.write(frame(WINDOW_UPDATE, 0, id, new byte[4]))) {
          break;
        }
      }
      assertThat(h.goAway.get(20, TimeUnit.SECONDS)).isEqualTo(11); // ENHANCE_YOUR_CALM
    }
    assertThat(backend.requests).noneSatisfy(r -> assertThat(r).startsWith("POST /provoked "));
    assertStillServes();
  }

  /**
   * CVE-2019-9512: PINGs from a client that never reads its answers. Each needs an answer that
   * waits in stc's output buffer once the socket is full; a bound on them ends the connection
   * before it holds much.
   */
  @Test
  void aPingFloodFromAClientThatDoesNotReadIsCutOff() throws Exception {
    long pings = 0;
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(4096);
      s.setSendBufferSize(64 * 1024);
      s.connect(new InetSocketAddress("127.0.0.1", stc.stc.port()));
      OutputStream out = s.getOutputStream();
      out.write(PREFACE);
      out.write(frame(SETTINGS, 0, 0, new byte[0]));
      byte[] ping = frame(PING, 0, 0, new byte[8]);
      byte[] burst = new byte[ping.length * 1_000];
      for (int i = 0; i < 1_000; i++) {
        System.arraycopy(ping, 0, burst, i * ping.length, ping.length);
      }
      try {
        // Unbounded answers would take 3 million PINGs (50 MB) without a word from stc.
        while (pings < 3_000_000) {
          out.write(burst);
          pings += 1_000;
        }
      } catch (IOException closedByStc) {
        // what the test expects
      }
    }
    assertThat(pings).isLessThan(3_000_000);
    assertStillServes();
  }

  @Test
  void aContinuationFloodIsCutOffBeforeItHoldsMuch() throws Exception {
    long bytes = 0;
    try (Hostile h = new Hostile()) {
      h.write(frame(HEADERS, 0, 1, block(1, get("/continued"))));
      byte[] junk = new byte[1_000];
      while (bytes < 64L * 1024 * 1024 && !h.goAway.isDone() && h.write(frame(CONTINUATION, 0, 1, junk))) {
        bytes += junk.length;
      }
      assertThat(h.goAway.get(20, TimeUnit.SECONDS)).isPositive();
    }
    assertThat(bytes).isLessThan(4L * 1024 * 1024);
    assertThat(backend.requests).isEmpty();
    assertStillServes();
  }

  @Test
  void anOversizedHeaderListIsNeverForwarded() throws Exception {
    try (Hostile h = new Hostile()) {
      Http2Headers big = get("/big").add("x-big", "y".repeat(100_000));
      byte[] b = block(1, big);
      // Within the frame size: a HEADERS frame and CONTINUATIONs of 16 KiB.
      for (int at = 0; at < b.length; at += 16_384) {
        byte[] piece = java.util.Arrays.copyOfRange(b, at, Math.min(b.length, at + 16_384));
        int flags = (at == 0 ? END_STREAM : 0) | (at + 16_384 >= b.length ? END_HEADERS : 0);
        if (!h.write(frame(at == 0 ? HEADERS : CONTINUATION, flags, 1, piece))) {
          break;
        }
      }
      h.goAwayOrReset.get(20, TimeUnit.SECONDS);
    }
    assertThat(backend.requests).isEmpty();
    assertStillServes();
  }

  @Test
  void aWindowUpdateThatOverflowsTheWindowIsAFlowControlError() throws Exception {
    try (Hostile h = new Hostile()) {
      h.write(frame(WINDOW_UPDATE, 0, 0, new byte[] {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}));
      assertThat(h.goAway.get(20, TimeUnit.SECONDS)).isEqualTo(3); // FLOW_CONTROL_ERROR
    }
    assertStillServes();
  }

  /** RFC 9113 8.1.1: a request without :path (or with a Host that contradicts :authority) is malformed: a stream error, nothing forwarded. */
  @Test
  void aMalformedRequestIsResetWithProtocolErrorAndNeverForwarded() throws Exception {
    try (Hostile h = new Hostile()) {
      Http2Headers noPath = new DefaultHttp2Headers(false).method("GET").scheme("http").authority("a");
      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, block(1, noPath)));
      Frame reset = next(h, 1);
      assertThat(reset.type()).isEqualTo(RST_STREAM);
      assertThat(reset.errorCode()).isEqualTo(1); // PROTOCOL_ERROR

      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 3, block(3, get("/two-hosts").add("host", "b"))));
      reset = next(h, 3);
      assertThat(reset.type()).isEqualTo(RST_STREAM);
      assertThat(reset.errorCode()).isEqualTo(1);

      Http2Headers noScheme = new DefaultHttp2Headers(false).method("GET").authority("a").path("/no-scheme");
      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 5, block(5, noScheme)));
      reset = next(h, 5);
      assertThat(reset.type()).isEqualTo(RST_STREAM);
      assertThat(reset.errorCode()).isEqualTo(1);

      // RFC 9113 8.5: a CONNECT names only :authority.
      Http2Headers connectWithPath = new DefaultHttp2Headers(false).method("CONNECT").authority("a:443").scheme("http").path("/");
      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 7, block(7, connectWithPath)));
      reset = next(h, 7);
      assertThat(reset.type()).isEqualTo(RST_STREAM);
      assertThat(reset.errorCode()).isEqualTo(1);
      assertThat(h.goAway).isNotDone();
    }
    assertThat(backend.requests).isEmpty();
    assertStillServes();
  }

  /**
   * RFC 9113 5.1, half-closed (remote): HEADERS again after the request's END_STREAM is that
   * stream's error, STREAM_CLOSED (Netty's decoder says PROTOCOL_ERROR); the connection goes on.
   * Both frames go in one write, so the second is read before the backend could answer the first.
   */
  @Test
  void headersAfterTheRequestEndedResetThatStreamWithStreamClosed() throws Exception {
    try (Hostile h = new Hostile()) {
      h.write(concat(frame(HEADERS, END_STREAM | END_HEADERS, 1, block(1, get("/first"))),
          frame(HEADERS, END_STREAM | END_HEADERS, 1, block(1, get("/again")))));
      assertThat(firstOf(h, 1, RST_STREAM).errorCode()).isEqualTo(5); // STREAM_CLOSED

      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 3, block(3, get("/after"))));
      assertThat(next(h, 3).type()).isEqualTo(HEADERS);
      assertThat(h.goAway).isNotDone();
    }
    assertThat(backend.requests).noneSatisfy(r -> assertThat(r).startsWith("GET /again "));
  }

  /** RFC 9113 5.1, closed: HEADERS on a stream that was answered and ended is a connection error STREAM_CLOSED. */
  @Test
  void headersOnAStreamThatEndedEndTheConnection() throws Exception {
    try (Hostile h = new Hostile()) {
      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, block(1, get("/first"))));
      Frame f;
      do {
        f = next(h, 1);
      } while ((f.flags() & END_STREAM) == 0);
      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, block(1, get("/again"))));
      assertThat(h.goAway.get(20, TimeUnit.SECONDS)).isEqualTo(5); // STREAM_CLOSED
    }
    assertThat(backend.requests).noneSatisfy(r -> assertThat(r).startsWith("GET /again "));
    assertStillServes();
  }

  /** RFC 9113 5.1.1: a stream numbered below one the client already opened is a connection error PROTOCOL_ERROR. */
  @Test
  void aStreamNumberedBelowTheLastOpenedEndsTheConnection() throws Exception {
    try (Hostile h = new Hostile()) {
      h.write(concat(frame(HEADERS, END_STREAM | END_HEADERS, 5, block(5, get("/five"))),
          frame(HEADERS, END_STREAM | END_HEADERS, 3, block(3, get("/three")))));
      assertThat(h.goAway.get(20, TimeUnit.SECONDS)).isEqualTo(1); // PROTOCOL_ERROR
    }
    assertThat(backend.requests).noneSatisfy(r -> assertThat(r).startsWith("GET /three "));
    assertStillServes();
  }

  /**
   * RFC 9113 5.1, closed: frames a client sent before stc's RST_STREAM reached it are ignored, not
   * taken for a client that lost track of its streams (which would cost every other stream on the
   * connection); after the client's own RST_STREAM, HEADERS is that stream's error.
   */
  @Test
  void headersOnAStreamResetLatelyCostNoOtherStream() throws Exception {
    try (Hostile h = new Hostile()) {
      // Malformed (no :path) and not ended: stc resets it while the client is still sending.
      Http2Headers noPath = new DefaultHttp2Headers(false).method("POST").scheme("http").authority("a");
      h.write(frame(HEADERS, END_HEADERS, 1, block(1, noPath)));
      assertThat(firstOf(h, 1, RST_STREAM).errorCode()).isEqualTo(1);
      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, block(1, new DefaultHttp2Headers().add("x-trailer", "late"))));

      h.write(frame(HEADERS, END_HEADERS, 3, block(3, get("/cancelled").method("POST").add("content-length", "5"))));
      h.write(frame(RST_STREAM, 0, 3, new byte[] {0, 0, 0, 8})); // CANCEL
      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 3, block(3, new DefaultHttp2Headers().add("x-trailer", "after-reset"))));
      assertThat(firstOf(h, 3, RST_STREAM).errorCode()).isEqualTo(5); // STREAM_CLOSED

      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 5, block(5, get("/after"))));
      assertThat(next(h, 5).type()).isEqualTo(HEADERS);
      assertThat(h.goAway).isNotDone();
    }
    assertStillServes();
  }

  /**
   * RFC 9113 8.1: a backend may answer before the request's body is in. The client may go on
   * sending it (Java 17's HttpClient does, and fails the call when it cannot), so stc takes the
   * rest, giving the window back, and resets nothing: the stream ends with the client's END_STREAM.
   */
  @Test
  void aRequestAnsweredBeforeItsBodyEndedTakesTheRestWithoutAReset() throws Exception {
    try (RawBackend early = new RawBackend(r -> "HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope")) {
      stc.stc.upstream().remove("rec");
      stc.stc.upstream().add("early", "127.0.0.1", early.port(), 1, BackendState.UP);
      try (Hostile h = new Hostile()) {
        h.write(frame(HEADERS, END_HEADERS, 1, block(1, get("/upload").method("POST"))));
        // More than stc reads whole before it picks a backend (64 KiB): the request goes on.
        int sent = upload(h, 1, 0, 80_000, false);
        Frame answer = firstOf(h, 1, DATA);
        assertThat(answer.flags() & END_STREAM).isEqualTo(END_STREAM);
        // The rest, more than the stream's first window, goes only as stc opens it again.
        upload(h, 1, sent, 64_000, true);
        h.write(frame(HEADERS, END_STREAM | END_HEADERS, 3, block(3, get("/after"))));
        assertThat(firstOf(h, 3, HEADERS).type()).isEqualTo(HEADERS);
        assertThat(h.seen).noneMatch(f -> f.type() == RST_STREAM && f.stream() == 1);
        assertThat(h.goAway).isNotDone();
      }
    }
  }

  /**
   * RFC 9113 5.1: DATA a client sent before stc's RST_STREAM reached it is ignored (and its bytes
   * given back to the connection's window), not answered with a reset per frame, which would count
   * towards the limit on resets and end the connection under a large upload.
   */
  @Test
  void dataOnAStreamStcResetLatelyIsIgnored() throws Exception {
    try (RawBackend early = new RawBackend(r -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) {
      stc.stc.upstream().remove("rec");
      stc.stc.upstream().add("early", "127.0.0.1", early.port(), 1, BackendState.UP);
      try (Hostile h = new Hostile()) {
        h.write(frame(HEADERS, END_HEADERS, 1, block(1, get("/upload").method("POST"))));
        upload(h, 1, 0, 80_000, false);
        // The answer, then, the client sending nothing more for a while, the reset.
        Frame reset = firstOf(h, 1, RST_STREAM);
        assertThat(reset.errorCode()).isZero(); // NO_ERROR
        byte[] chunk = new byte[16_000];
        for (int i = 0; i < 4; i++) {
          h.write(frame(DATA, 0, 1, chunk));
        }
        h.write(frame(PING, 0, 0, new byte[8]));
        await().atMost(Duration.ofSeconds(20)).until(() -> h.seen.stream().anyMatch(f -> f.type() == PING));
        assertThat(h.seen.stream().filter(f -> f.type() == RST_STREAM && f.stream() == 1)).hasSize(1);
        h.write(frame(HEADERS, END_HEADERS, 3, block(3, get("/more").method("POST"))));
        h.write(frame(DATA, END_STREAM, 3, new byte[100]));
        assertThat(firstOf(h, 3, HEADERS).type()).isEqualTo(HEADERS);
        assertThat(h.goAway).isNotDone();
      }
    }
  }

  /**
   * Sends {@code n} bytes of DATA on {@code stream} in frames of 16,000, each once the stream's
   * window (64 KiB, plus what stc's WINDOW_UPDATEs gave) has room; the last ends the stream if
   * {@code end}. Returns the bytes sent on the stream in all.
   */
  private static int upload(Hostile h, int stream, int sentBefore, int n, boolean end) {
    int sent = sentBefore;
    for (int left = n; left > 0; ) {
      int size = Math.min(16_000, left);
      int after = sent + size;
      await().atMost(Duration.ofSeconds(20)).until(() -> after <= 65_535 + credit(h, stream));
      left -= size;
      h.write(frame(DATA, end && left == 0 ? END_STREAM : 0, stream, new byte[size]));
      sent = after;
    }
    return sent;
  }

  /** The window stc gave {@code stream} back so far, in WINDOW_UPDATE increments. */
  private static long credit(Hostile h, int stream) {
    return h.seen.stream().filter(f -> f.type() == WINDOW_UPDATE && f.stream() == stream)
        .mapToLong(f -> f.errorCode() & 0x7FFFFFFFL).sum();
  }

  /**
   * HPACK carries bytes that HTTP/1.1 would read as framing (CR, LF, NUL in a value, a space in the
   * path), fields HTTP/1.1 must see once (Content-Length) and framing fields' names with underscores
   * (which CGI-style backends read as the fields themselves): each such stream is refused, and no
   * backend sees any of it (the downgrade form of request smuggling).
   */
  @Test
  void aStreamThatWouldSmuggleAsHttp1IsRefusedAndNeverForwarded() throws Exception {
    java.util.List<Http2Headers> hostile = java.util.List.of(
        get("/crlf").add("x-a", "ok\r\nx-injected: 1"),
        get("/lf").add("x-a", "ok\nGET /smuggled HTTP/1.1"),
        get("/nul").add("x-a", "ok\u0000"),
        get("/two-lengths").add("content-length", "0").add("content-length", "5"),
        get("/bad-length").add("content-length", "12abc"),
        // A CGI-style backend reads these as the framing fields themselves.
        get("/cgi-length").method("POST").add("content_length", "5"),
        get("/cgi-chunked").method("POST").add("transfer_encoding", "chunked"),
        get("/a b"),
        get("/bad-method").method("G ET"));
    try (Hostile h = new Hostile()) {
      int id = 1;
      for (Http2Headers req : hostile) {
        h.write(frame(HEADERS, END_STREAM | END_HEADERS, id, block(id, req)));
        Frame answer = next(h, id);
        assertThat(answer.type()).as(req.path().toString()).isIn(HEADERS, RST_STREAM);
        id += 2;
      }
      // Each was one stream's business: the connection serves the next.
      h.write(frame(HEADERS, END_STREAM | END_HEADERS, id, block(id, get("/after"))));
      assertThat(next(h, id).type()).isEqualTo(HEADERS);
      assertThat(h.goAway).isNotDone();
    }
    assertThat(backend.requests).singleElement().satisfies(r -> assertThat(r).startsWith("GET /after HTTP/1.1\r\n"));
    assertStillServes();
  }

  /**
   * A stream error the codec finds in what the client sends (DATA beyond the declared
   * Content-Length) resets that stream: it must not hang open, holding one of the connection's
   * streams, and the connection goes on.
   */
  @Test
  void aStreamErrorInTheClientsFramesResetsThatStreamOnly() throws Exception {
    try (Hostile h = new Hostile()) {
      Http2Headers post = get("/declared-two").method("POST").add("content-length", "2");
      h.write(frame(HEADERS, END_HEADERS, 1, block(1, post)));
      h.write(frame(DATA, END_STREAM, 1, "more than two".getBytes(StandardCharsets.US_ASCII)));
      Frame reset = next(h, 1);
      assertThat(reset.type()).isEqualTo(RST_STREAM);
      assertThat(reset.errorCode()).isEqualTo(1); // PROTOCOL_ERROR

      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 3, block(3, get("/after"))));
      assertThat(next(h, 3).type()).isEqualTo(HEADERS);
      assertThat(h.goAway).isNotDone();
    }
    assertStillServes();
  }

  /** What an HTTP/1.1 backend gets for a stream: one Cookie field from the crumbs, one Host (a Host equal to :authority is no conflict). */
  @Test
  void aStreamReachesAnHttp1BackendAsOneCleanHead() throws Exception {
    try (Hostile h = new Hostile()) {
      Http2Headers req = get("/crumbs").add("cookie", "a=1").add("host", "A").add("cookie", "b=2").add("x-http2-stream-id", "7");
      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, block(1, req)));
      Frame head = next(h, 1);
      assertThat(head.type()).isEqualTo(HEADERS);
    }
    assertThat(backend.violations).isEmpty();
    assertThat(backend.requests).singleElement().satisfies(r -> {
      assertThat(r).startsWith("GET /crumbs HTTP/1.1\r\n");
      assertThat(r.toLowerCase()).containsOnlyOnce("\r\nhost: ").containsOnlyOnce("\r\ncookie: a=1; b=2\r\n")
          // Only what the proxy itself adds is its own business: a client's own field goes through.
          .contains("\r\nx-http2-stream-id: 7\r\n");
    });
  }

  /** A response that arrives whole goes out as HEADERS and one DATA frame that ends the stream: no empty DATA after it. */
  @Test
  void aSmallResponseEndsWithItsOwnDataFrame() throws Exception {
    try (Hostile h = new Hostile()) {
      h.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, block(1, get("/small"))));
      Frame head = next(h, 1);
      assertThat(head.type()).isEqualTo(HEADERS);
      assertThat(head.flags() & END_STREAM).isZero();
      Frame data = next(h, 1);
      assertThat(data.type()).isEqualTo(DATA);
      assertThat(new String(data.payload(), StandardCharsets.ISO_8859_1)).isEqualTo("ok");
      assertThat(data.flags() & END_STREAM).isEqualTo(END_STREAM);
    }
  }

  /**
   * A client that opens no flow-control window beyond the first 64 KiB holds a stream whose
   * backend would send 256 MiB: stc must stop reading that backend rather than buffer the body,
   * and deliver all of it once the client opens its windows.
   */
  @Test
  void aClientThatStopsReadingStopsItsBackendInsteadOfBeingBuffered() throws Exception {
    long size = 256L * 1024 * 1024;
    java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
    try (java.net.ServerSocket big = new java.net.ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
      Thread server = new Thread(() -> serveBigBody(big, size, written), "big-body-backend");
      server.setDaemon(true);
      server.start();
      stc.stc.upstream().remove("rec");
      stc.stc.upstream().add("big", "127.0.0.1", big.getLocalPort(), 1, BackendState.UP);
      try (Hostile h = new Hostile()) {
        h.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, block(1, get("/big"))));
        assertThat(next(h, 1).type()).isEqualTo(HEADERS);
        // The backend gets ahead by what the sockets and stc's high-water marks hold, no more.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> written.get() > 0);
        org.awaitility.Awaitility.await().during(java.time.Duration.ofSeconds(2)).atMost(java.time.Duration.ofSeconds(10))
            .until(() -> written.get() < 64L * 1024 * 1024);
        // Open both windows by 16 MiB, and give back what arrives as it arrives: the rest flows.
        h.write(frame(WINDOW_UPDATE, 0, 0, increment(16 << 20)));
        h.write(frame(WINDOW_UPDATE, 0, 1, increment(16 << 20)));
        long received = 0;
        int unacknowledged = 0;
        while (true) {
          Frame f = next(h, 1);
          assertThat(f.type()).isEqualTo(DATA);
          received += f.payload().length;
          unacknowledged += f.payload().length;
          if ((f.flags() & END_STREAM) != 0) {
            break;
          }
          if (unacknowledged >= 1 << 20) {
            h.write(frame(WINDOW_UPDATE, 0, 0, increment(unacknowledged)));
            h.write(frame(WINDOW_UPDATE, 0, 1, increment(unacknowledged)));
            unacknowledged = 0;
          }
        }
        assertThat(received).isEqualTo(size);
      }
    }
  }

  private static byte[] increment(int n) {
    return new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
  }

  /**
   * A client that resets its stream (or drops its connection) halfway through a large response:
   * stc closes the backend connection that was carrying it (never pooled with half a response
   * unread), and serves on.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  void aClientThatGoesAwayMidResponseReleasesItsBackendConnection(boolean resetOnly) throws Exception {
    java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
    try (java.net.ServerSocket big = new java.net.ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> backendDone = CompletableFuture.runAsync(() -> serveBigBody(big, 1L << 40, written));
      stc.stc.upstream().add("big", "127.0.0.1", big.getLocalPort(), 1, BackendState.UP);
      stc.stc.upstream().remove("rec");
      try (Hostile h = new Hostile()) {
        h.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, block(1, get("/endless"))));
        assertThat(next(h, 1).type()).isEqualTo(HEADERS);
        assertThat(next(h, 1).type()).isEqualTo(DATA);
        if (resetOnly) {
          h.write(frame(RST_STREAM, 0, 1, new byte[] {0, 0, 0, 8})); // CANCEL
        } else {
          h.socket.close();
        }
        // stc let the backend connection go: the backend's next write fails and it stops.
        backendDone.get(20, TimeUnit.SECONDS);
        stc.stc.upstream().remove("big");
        stc.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
        if (resetOnly) {
          // The backend's bytes that were on their way after the reset cost the connection nothing:
          // its next stream is served.
          h.write(frame(HEADERS, END_STREAM | END_HEADERS, 3, block(3, get("/same-connection"))));
          assertThat(next(h, 3).type()).isEqualTo(HEADERS);
          assertThat(h.goAway).isNotDone();
        }
      }
      assertStillServes();
    }
  }

  /** Answers one request with a body of {@code size} bytes, counting what it managed to write. */
  private static void serveBigBody(java.net.ServerSocket server, long size, java.util.concurrent.atomic.AtomicLong written) {
    try (Socket s = server.accept()) {
      InputStream in = s.getInputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          return;
        }
        matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      OutputStream out = s.getOutputStream();
      out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      byte[] chunk = new byte[64 * 1024];
      for (long left = size; left > 0; left -= chunk.length) {
        out.write(chunk, 0, (int) Math.min(chunk.length, left));
        written.addAndGet(Math.min(chunk.length, left));
      }
      out.flush();
    } catch (IOException e) {
      // stc went away: the test says what it expected
    }
  }

  private void assertStillServes() throws Exception {
    try (io.stc.testing.Http2TestClient client = new io.stc.testing.Http2TestClient(stc.stc.port())) {
      assertThat(client.get("/after").status()).isEqualTo(200);
    }
    assertThat(backend.requests).anySatisfy(r -> assertThat(r).startsWith("GET /after "));
  }

  private static Http2Headers get(String path) {
    return new DefaultHttp2Headers().method("GET").scheme("http").authority("a").path(path);
  }

  private static byte[] block(int streamId, Http2Headers headers) throws Exception {
    ByteBuf out = Unpooled.buffer();
    // A fresh encoder each time: no dynamic table shared across frames this test may never finish.
    new DefaultHttp2HeadersEncoder(DefaultHttp2HeadersEncoder.NEVER_SENSITIVE, false, 0).encodeHeaders(streamId, headers, out);
    byte[] b = ByteBufUtil.getBytes(out);
    out.release();
    return b;
  }

  private static byte[] frame(int type, int flags, int stream, byte[] payload) {
    byte[] f = new byte[9 + payload.length];
    f[0] = (byte) (payload.length >>> 16);
    f[1] = (byte) (payload.length >>> 8);
    f[2] = (byte) payload.length;
    f[3] = (byte) type;
    f[4] = (byte) flags;
    f[5] = (byte) (stream >>> 24);
    f[6] = (byte) (stream >>> 16);
    f[7] = (byte) (stream >>> 8);
    f[8] = (byte) stream;
    System.arraycopy(payload, 0, f, 9, payload.length);
    return f;
  }

  private record Frame(int type, int flags, int stream, byte[] payload) {
    int errorCode() {
      return (payload[0] & 0xFF) << 24 | (payload[1] & 0xFF) << 16 | (payload[2] & 0xFF) << 8 | (payload[3] & 0xFF);
    }
  }

  /** The next frame on {@code stream} of one of {@code types}, skipping the connection's own (SETTINGS, WINDOW_UPDATE). */
  private static Frame next(Hostile h, int stream) throws InterruptedException {
    while (true) {
      Frame f = h.frames.poll(20, TimeUnit.SECONDS);
      assertThat(f).as("a frame on stream " + stream).isNotNull();
      if (f.stream() == stream && f.type() != WINDOW_UPDATE) {
        return f;
      }
    }
  }

  /** The first frame of {@code type} on {@code stream}, skipping others on it (a response's HEADERS and DATA). */
  private static Frame firstOf(Hostile h, int stream, int type) throws InterruptedException {
    Frame f;
    do {
      f = next(h, stream);
    } while (f.type() != type);
    return f;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  /** A raw HTTP/2 connection: writes what it is given, reads frames until stc says GOAWAY or closes. */
  private final class Hostile implements AutoCloseable {
    final Socket socket = new Socket();
    final OutputStream out;
    /** GOAWAY's error code, or -1 when the connection closed without one. */
    final CompletableFuture<Integer> goAway = new CompletableFuture<>();
    final CompletableFuture<Void> goAwayOrReset = new CompletableFuture<>();
    /** Every frame read, in order: type, flags, stream and payload. */
    final java.util.concurrent.BlockingQueue<Frame> frames = new java.util.concurrent.LinkedBlockingQueue<>();
    /** Every frame read, kept. */
    final java.util.List<Frame> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    final Thread reader;

    Hostile() throws IOException {
      // A small send buffer, so bytes written count what stc took, not what the kernel queued
      // (autotuned up to net.ipv4.tcp_wmem's maximum, 4 MiB here) before stc's GOAWAY was seen.
      socket.setSendBufferSize(64 * 1024);
      socket.connect(new InetSocketAddress("127.0.0.1", stc.stc.port()));
      socket.setSoTimeout(30_000);
      out = socket.getOutputStream();
      out.write(PREFACE);
      out.write(frame(SETTINGS, 0, 0, new byte[0]));
      out.flush();
      InputStream in = socket.getInputStream();
      reader = new Thread(() -> read(new DataInputStream(in)), "hostile-h2-reader");
      reader.start();
    }

    private void read(DataInputStream in) {
      try {
        while (true) {
          int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
          int type = in.readUnsignedByte();
          int flags = in.readUnsignedByte();
          int stream = in.readInt() & 0x7FFFFFFF;
          byte[] payload = new byte[length];
          in.readFully(payload);
          Frame f = new Frame(type, flags, stream, payload);
          frames.add(f);
          seen.add(f);
          if (type == GOAWAY) {
            int code = (payload[4] & 0xFF) << 24 | (payload[5] & 0xFF) << 16 | (payload[6] & 0xFF) << 8 | (payload[7] & 0xFF);
            goAway.complete(code);
            goAwayOrReset.complete(null);
          } else if (type == RST_STREAM) {
            goAwayOrReset.complete(null);
          } else if (type == SETTINGS || type == WINDOW_UPDATE || type == DATA || type == HEADERS) {
            // the server's own settings, acks, and answers to requests it let through
          }
        }
      } catch (EOFException e) {
        goAway.complete(-1);
        goAwayOrReset.complete(null);
      } catch (IOException e) {
        goAway.complete(-1);
        goAwayOrReset.complete(null);
      }
    }

    /** Writes a frame; false once stc has closed the connection. */
    boolean write(byte[] f) {
      try {
        out.write(f);
        return true;
      } catch (IOException closed) {
        return false;
      }
    }

    @Override
    public void close() throws Exception {
      socket.close();
      reader.join(10_000);
    }
  }
}
