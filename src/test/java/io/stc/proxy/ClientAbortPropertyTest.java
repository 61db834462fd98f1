package io.stc.proxy;

import static io.stc.proxy.BackendAnswers.request;
import static io.stc.proxy.BackendAnswers.script;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.stc.proxy.BackendAnswers.Kind;
import io.stc.proxy.BackendAnswers.Method;
import io.stc.proxy.BackendAnswers.Step;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Clients that go away at any point (mid-body, right after the request, a few bytes into the
 * answer, or after closing their side) while the backend answers in any of the ways of
 * {@link BackendAnswers}: nothing is left behind. No exchange stays active, no backend request in
 * flight, no client connection open, no backend connection held beyond the idle pool, and the
 * next client is served. An HTTP/2 client's stream reset with its request, after the answer's
 * head, or mid-upload leaves nothing behind either, and its connection serves the next stream.
 */
class ClientAbortPropertyTest {
  /** Where the client goes away. */
  enum Abort { MID_BODY, AFTER_REQUEST, MID_ANSWER, HALF_CLOSED }

  /** Where an HTTP/2 client resets its stream. */
  enum Reset { WITH_THE_REQUEST, AFTER_THE_HEAD, MID_UPLOAD }

  private static final AtomicLong IDS = new AtomicLong();
  private static ScriptedProxy proxy;

  @BeforeContainer
  static void start() throws Exception {
    proxy = new ScriptedProxy();
  }

  @AfterContainer
  static void stop() throws Exception {
    proxy.close();
  }

  @Property(tries = 200)
  void aClientThatGoesAwayLeavesNothingBehind(
      @ForAll("steps") Step step, @ForAll Abort abort, @ForAll("answerBytes") int readBeforeLeaving) throws Exception {
    String id = "a" + IDS.incrementAndGet();
    proxy.backend.script(id, script(step, id));
    byte[] whole = request(step, id, false);
    try (Socket c = new Socket("127.0.0.1", proxy.port())) {
      c.setSoTimeout(5_000);
      OutputStream out = c.getOutputStream();
      InputStream in = c.getInputStream();
      switch (abort) {
        case MID_BODY -> {
          // The head and part of a body promised longer.
          String head = "POST /" + id + " HTTP/1.1\r\nHost: a\r\nX-Script: " + id + "\r\nContent-Length: 100000\r\n\r\n";
          out.write((head + "x".repeat(readBeforeLeaving)).getBytes(StandardCharsets.ISO_8859_1));
        }
        case AFTER_REQUEST -> out.write(whole);
        case MID_ANSWER -> {
          out.write(whole);
          readUpTo(in, readBeforeLeaving);
        }
        case HALF_CLOSED -> {
          out.write(whole);
          c.shutdownOutput();
          readUpTo(in, Integer.MAX_VALUE);
        }
        default -> throw new IllegalStateException();
      }
    }
    await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> {
          assertThat(proxy.cluster.stc.proxy().stats().active()).as("exchanges active").isZero();
          assertThat(proxy.target.stats().inFlight()).as("backend requests in flight").isZero();
          assertThat(proxy.cluster.stc.proxy().stats().connections()).as("client connections open").isZero();
        });
    assertThat(proxy.backend.openConnections()).as("backend connections open").isLessThanOrEqualTo(8);

    // And the next client is served.
    String next = "n" + IDS.incrementAndGet();
    Step ok = new Step(Method.GET, Kind.LENGTH, "fine", List.of());
    proxy.backend.script(next, script(ok, next));
    try (Socket c = new Socket("127.0.0.1", proxy.port())) {
      c.setSoTimeout(10_000);
      c.getOutputStream().write(request(ok, next, true));
      String answer = new String(c.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 200 ").endsWith("\r\n\r\nfine");
    }
  }

  @Property(tries = 150)
  void anHttp2StreamResetAnywhereLeavesNothingBehindAndTheConnectionServesOn(
      @ForAll("steps") Step step, @ForAll Reset reset) throws Exception {
    String id = "h" + IDS.incrementAndGet();
    proxy.backend.script(id, script(step, id));
    String next = "n" + IDS.incrementAndGet();
    Step ok = new Step(Method.GET, Kind.LENGTH, "fine", List.of());
    proxy.backend.script(next, script(ok, next));
    try (Socket c = new Socket("127.0.0.1", proxy.port())) {
      c.setSoTimeout(10_000);
      OutputStream out = c.getOutputStream();
      DataInputStream in = new DataInputStream(c.getInputStream());
      ByteBuf frames = Unpooled.buffer();
      frames.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      frames.writeMedium(0).writeByte(4).writeByte(0).writeInt(0); // SETTINGS
      boolean upload = reset == Reset.MID_UPLOAD;
      headers(frames, 1, upload ? "POST" : "GET", "/" + id, !upload);
      if (upload) {
        frames.writeMedium(5).writeByte(0).writeByte(0).writeInt(1).writeBytes("hello".getBytes(StandardCharsets.US_ASCII));
      }
      if (reset != Reset.AFTER_THE_HEAD) {
        rstStream(frames, 1);
      }
      out.write(ByteBufUtil.getBytes(frames));
      frames.clear();
      if (reset == Reset.AFTER_THE_HEAD) {
        // The answer's first frame on the stream (the backend's head, or stc's own answer), then the reset.
        awaitFrameOn(in, 1, false);
        rstStream(frames, 1);
      }
      headers(frames, 3, "GET", "/" + next, true);
      out.write(ByteBufUtil.getBytes(frames));
      frames.release();
      awaitFrameOn(in, 3, true);
      await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> {
            assertThat(proxy.cluster.stc.proxy().stats().active()).as("exchanges active").isZero();
            assertThat(proxy.target.stats().inFlight()).as("backend requests in flight").isZero();
          });
      assertThat(proxy.cluster.stc.proxy().stats().connections()).as("the client's connection lives on").isEqualTo(1);
    }
    await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(10))
        .until(() -> proxy.cluster.stc.proxy().stats().connections() == 0);
    assertThat(proxy.backend.openConnections()).as("backend connections open").isLessThanOrEqualTo(8);
  }

  private static void headers(ByteBuf out, int stream, String method, String path, boolean endStream) {
    ByteBuf block = Unpooled.buffer();
    try {
      new DefaultHttp2HeadersEncoder().encodeHeaders(stream,
          new DefaultHttp2Headers().method(method).scheme("http").authority("a").path(path), block);
    } catch (Http2Exception e) {
      throw new IllegalStateException(e);
    }
    out.writeMedium(block.readableBytes()).writeByte(1).writeByte(4 | (endStream ? 1 : 0)).writeInt(stream);
    out.writeBytes(block);
    block.release();
  }

  private static void rstStream(ByteBuf out, int stream) {
    out.writeMedium(4).writeByte(3).writeByte(0).writeInt(stream).writeInt(8); // CANCEL
  }

  /** Reads frames until one on {@code stream} (with END_STREAM when {@code end}); fails on its reset or the connection's end. */
  private static void awaitFrameOn(DataInputStream in, int stream, boolean end) throws java.io.IOException {
    while (true) {
      int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
      int type = in.readUnsignedByte();
      int flags = in.readUnsignedByte();
      int id = in.readInt() & 0x7fffffff;
      in.skipNBytes(length);
      if (id == stream && type == 3) {
        throw new AssertionError("stream " + stream + " reset by stc");
      }
      if (id == stream && (type == 0 || type == 1) && (!end || (flags & 1) != 0)) {
        return;
      }
    }
  }

  /** Reads until {@code limit} bytes came, the server closed, or it reset. */
  private static void readUpTo(InputStream in, int limit) throws java.io.IOException {
    byte[] buf = new byte[Math.min(limit, 4096) + 1];
    int got = 0;
    try {
      int n;
      while (got < limit && (n = in.read(buf, 0, Math.min(buf.length, limit - got))) > 0) {
        got += n;
      }
    } catch (SocketException reset) {
      // gone either way
    } catch (java.net.SocketTimeoutException silent) {
      // the backend is silent and the response timeout longer than our patience: leave now
    }
  }

  @Provide
  Arbitrary<Step> steps() {
    return BackendAnswers.exchanges().map(l -> l.get(0));
  }

  @Provide
  Arbitrary<Integer> answerBytes() {
    return Arbitraries.integers().between(0, 120);
  }
}
