package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import io.stc.pool.BackendProtocol;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestServer;
import io.stc.testing.RawBackend;
import io.stc.testing.TestCluster;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Uploads from a client a long way off, and an answer from a backend a long way off: their HTTP/2
 * stream windows grow to what a round trip carries, where the protocol's 64 KiB would let them
 * send 64 KiB per round trip whatever their link, and what the streams held of their loop's
 * budget comes back when they end.
 */
class Http2ReceiveWindowTest {
  @Test
  void aClientThatFillsItsWindowEveryRoundTripGetsALargerOne() throws Exception {
    throughStc((c, client) -> {
      assertThat(client.upload("/up", 1, 12 << 20)).containsExactly("/up " + (12 << 20));
      assertThat(client.largestStreamWindow).isGreaterThan(16 * 65_535L).isLessThanOrEqualTo(Http2ReceiveWindow.MAX);
    });
  }

  @Test
  void streamsAtOnceShareTheirLoopsBudgetAndGiveItBack() throws Exception {
    throughStc((c, client) -> {
      List<String> answers = client.upload("/many", 6, 6 << 20);
      assertThat(answers).hasSize(6).allSatisfy(a -> assertThat(a).isEqualTo("/many " + (6 << 20)));
      assertThat(client.largestStreamWindow).isGreaterThan(65_535L).isLessThanOrEqualTo(Http2ReceiveWindow.MAX);
      // Six streams on one connection (so one loop): together they never held more than its budget.
      // (stc runs in this JVM: its heap is this one's.)
      Http2WindowBudget budget = Http2WindowBudget.perLoop(Runtime.getRuntime().maxMemory(), c.stc.config().effectiveIoThreads(), new ProxyStats());
      assertThat(client.largestWindowsAtOnce - 6 * 65_535L).isLessThanOrEqualTo(budget.left());
    });
  }

  @Test
  void aClientThatGoesMidUploadGivesItsWindowsBack() throws Exception {
    throughStc((c, client) -> {
      assertThat(client.upload("/gone", 3, 64 << 20, 24 << 20)).isNull();
      assertThat(client.largestStreamWindow).isGreaterThan(65_535L);
    });
  }

  @Test
  void aFarBackendsAnswerGetsALargerWindow() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      CompletableFuture<FarPeer> served = CompletableFuture.supplyAsync(() -> {
        try {
          FarPeer backend = FarPeer.server(listener.accept());
          backend.serve(12 << 20, 1);
          return backend;
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      });
      c.stc.upstream().add("far", "127.0.0.1", listener.getLocalPort(), 1, BackendState.UP, BackendProtocol.H2C);
      HttpResponse<byte[]> r = c.http.send(HttpRequest.newBuilder(c.uri("/down")).timeout(Duration.ofSeconds(60)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).hasSize(12 << 20);
      try (FarPeer backend = served.get(30, TimeUnit.SECONDS)) {
        assertThat(backend.largestStreamWindow).isGreaterThan(16 * 65_535L).isLessThanOrEqualTo(Http2ReceiveWindow.MAX);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().http2WindowHeld() == 0);
    }
  }

  private interface Uploads {
    void run(TestCluster c, FarPeer client) throws Exception;
  }

  /** Runs {@code uploads} with a far client through stc to an h2c backend; then every grown window must have come back. */
  private static void throughStc(Uploads uploads) throws Exception {
    // A backend whose own windows never hold stc back: the client's are what is measured.
    try (Http2TestServer backend = new Http2TestServer(100, null, 16 << 20);
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      c.stc.upstream().add("h2c", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      try (FarPeer client = FarPeer.client(c.stc.port())) {
        uploads.run(c, client);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().http2WindowHeld() == 0);
    }
  }

  /**
   * An HTTP/2 peer in raw frames on a blocking socket, a client or a server, that sends as much as
   * its windows allow and answers each of stc's PINGs only once it has sent what its window lets
   * through since: as stc sees a peer whose link is fast and far away, and no clock involved.
   */
  private static final class FarPeer implements AutoCloseable {
    private static final int DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8;
    private static final int ACK = 1, END_STREAM = 1, END_HEADERS = 4;
    private static final int SETTINGS_INITIAL_WINDOW_SIZE = 4;
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    /** A server answers stc's requests; a client makes them. */
    private final boolean server;
    private long connectionWindow = 65_535;
    private long initialWindow = 65_535;
    /** The streams this peer sends DATA on: their windows, and what each has left to send. */
    private final Map<Integer, Long> windows = new LinkedHashMap<>();
    private final Map<Integer, Long> left = new LinkedHashMap<>();
    private final Map<Integer, StringBuilder> bodies = new HashMap<>();
    private final Set<Integer> answered = new HashSet<>();
    private final byte[] chunk = new byte[16_384];
    private byte[] heldPing;
    private long sentTotal;
    private long sentAtPing;
    /** Streams done: a client's whose answers ended, a server's whose answers went out whole. */
    private int ended;
    /** What a server answers each request with, in bytes. */
    private long answerBytes;
    /** The largest window stc gave one stream, and the largest its streams still sending had in all at one time. */
    long largestStreamWindow;
    long largestWindowsAtOnce;

    private FarPeer(Socket socket, boolean server) throws IOException {
      this.socket = socket;
      this.server = server;
      socket.setSoTimeout(30_000);
      in = new DataInputStream(socket.getInputStream());
      out = socket.getOutputStream();
      if (server) {
        byte[] preface = new byte[PREFACE.length];
        in.readFully(preface);
        assertThat(preface).isEqualTo(PREFACE);
      } else {
        out.write(PREFACE);
      }
      write(SETTINGS, 0, 0, new byte[0], 0);
      out.flush();
    }

    /** A client connected to stc's listener. */
    static FarPeer client(int port) throws IOException {
      return new FarPeer(new Socket("127.0.0.1", port), false);
    }

    /** A backend on a connection stc opened. */
    static FarPeer server(Socket accepted) throws IOException {
      return new FarPeer(accepted, true);
    }

    /** POSTs {@code bytes} to {@code path} on {@code streams} streams at once; the answers' bodies, in stream order. */
    List<String> upload(String path, int streams, long bytes) throws Exception {
      return upload(path, streams, bytes, Long.MAX_VALUE);
    }

    /** As {@link #upload(String, int, long)}, but the connection is dropped once {@code dropAfter} bytes were sent; then null. */
    List<String> upload(String path, int streams, long bytes, long dropAfter) throws Exception {
      for (int i = 0; i < streams; i++) {
        int id = 1 + 2 * i;
        windows.put(id, initialWindow);
        left.put(id, bytes);
        bodies.put(id, new StringBuilder());
        byte[] head = block(id, new DefaultHttp2Headers().method("POST").scheme("http").authority("far").path(path));
        write(HEADERS, END_HEADERS, id, head, head.length);
      }
      while (ended < streams) {
        if (sentTotal >= dropAfter) {
          socket.close();
          return null;
        }
        step();
      }
      List<String> answers = new ArrayList<>();
      for (int id : bodies.keySet().stream().sorted().toList()) {
        answers.add(bodies.get(id).toString());
      }
      return answers;
    }

    /** Answers stc's requests with {@code bytes} each (status 200, no length) until {@code requests} answers went out whole. */
    void serve(long bytes, int requests) throws Exception {
      answerBytes = bytes;
      while (ended < requests) {
        step();
      }
      out.flush();
    }

    /** Sends what the windows allow, answers a held PING if its round trip is over, then takes one frame. */
    private void step() throws Exception {
      boolean sent = true;
      while (sent) {
        sent = false;
        for (Map.Entry<Integer, Long> stream : left.entrySet()) {
          int id = stream.getKey();
          long n = Math.min(Math.min(chunk.length, stream.getValue()), Math.min(windows.get(id), connectionWindow));
          if (n > 0) {
            stream.setValue(stream.getValue() - n);
            windows.merge(id, -n, Long::sum);
            connectionWindow -= n;
            sentTotal += n;
            boolean last = stream.getValue() == 0;
            write(DATA, last ? END_STREAM : 0, id, chunk, (int) n);
            if (last && server) {
              ended++;
            }
            sent = true;
          }
        }
      }
      out.flush();
      boolean allSent = left.values().stream().allMatch(n -> n == 0);
      if (heldPing != null && (allSent || sentTotal - sentAtPing >= Math.max(initialWindow, largestStreamWindow) * 3 / 4)) {
        // The round trip ends once it carried what a window lets through (stc gives windows back
        // a quarter at a time, so three quarters of one): the peer's link is faster than its window.
        write(PING, ACK, 0, heldPing, 8);
        out.flush();
        heldPing = null;
      }
      if (server && ended > 0 && allSent) {
        return;
      }
      int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
      int type = in.readUnsignedByte();
      int flags = in.readUnsignedByte();
      int stream = in.readInt() & 0x7FFFFFFF;
      byte[] payload = new byte[length];
      in.readFully(payload);
      switch (type) {
        case SETTINGS -> {
          if ((flags & ACK) == 0) {
            for (int i = 0; i + 6 <= length; i += 6) {
              if (((payload[i] & 0xFF) << 8 | (payload[i + 1] & 0xFF)) == SETTINGS_INITIAL_WINDOW_SIZE) {
                long size = uint(payload, i + 2);
                windows.replaceAll((id, w) -> w + size - initialWindow);
                initialWindow = size;
              }
            }
            write(SETTINGS, ACK, 0, new byte[0], 0);
            out.flush();
          }
        }
        case WINDOW_UPDATE -> {
          long increment = uint(payload, 0) & 0x7FFFFFFF;
          if (stream == 0) {
            connectionWindow += increment;
          } else if (windows.containsKey(stream)) {
            long w = windows.merge(stream, increment, Long::sum);
            largestStreamWindow = Math.max(largestStreamWindow, w);
            // Streams still sending: a stream that sent its end may keep a window it can no longer use.
            long open = windows.entrySet().stream().filter(e -> left.get(e.getKey()) > 0).mapToLong(Map.Entry::getValue).sum();
            largestWindowsAtOnce = Math.max(largestWindowsAtOnce, open);
          }
        }
        case PING -> {
          if ((flags & ACK) == 0) {
            if (heldPing != null) {
              write(PING, ACK, 0, heldPing, 8);
            }
            heldPing = payload;
            sentAtPing = sentTotal;
          }
        }
        case DATA -> {
          if (!server) {
            bodies.get(stream).append(new String(payload, StandardCharsets.ISO_8859_1));
            if ((flags & END_STREAM) != 0) {
              ended++;
            }
          }
        }
        case HEADERS -> {
          if (server) {
            // A request: the answer's head now, its body as the windows allow.
            byte[] head = block(stream, new DefaultHttp2Headers().status("200"));
            write(HEADERS, END_HEADERS, stream, head, head.length);
            windows.put(stream, initialWindow);
            left.put(stream, answerBytes);
          } else {
            if (answered.add(stream)) {
              // 0x88: the status 200, indexed; the test server's answers are all 200.
              assertThat(payload[0] & 0xFF).as("status of stream " + stream).isEqualTo(0x88);
            }
            if ((flags & END_STREAM) != 0) {
              ended++;
            }
          }
        }
        case RST_STREAM, GOAWAY -> throw new AssertionError("frame type " + type + " on stream " + stream
            + ", error " + uint(payload, type == GOAWAY ? 4 : 0) + ", " + windows + " " + left);
        default -> {
        }
      }
    }

    private void write(int type, int flags, int stream, byte[] payload, int length) throws IOException {
      byte[] head = {(byte) (length >>> 16), (byte) (length >>> 8), (byte) length, (byte) type, (byte) flags,
          (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream};
      out.write(head);
      out.write(payload, 0, length);
    }

    private static long uint(byte[] b, int at) {
      return (b[at] & 0xFFL) << 24 | (b[at + 1] & 0xFFL) << 16 | (b[at + 2] & 0xFFL) << 8 | (b[at + 3] & 0xFFL);
    }

    private static byte[] block(int stream, Http2Headers headers) throws Exception {
      ByteBuf b = Unpooled.buffer();
      new DefaultHttp2HeadersEncoder(DefaultHttp2HeadersEncoder.NEVER_SENSITIVE, false, 0).encodeHeaders(stream, headers, b);
      byte[] bytes = ByteBufUtil.getBytes(b);
      b.release();
      return bytes;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
