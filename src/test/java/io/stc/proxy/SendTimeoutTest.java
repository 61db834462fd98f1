package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.TestCluster;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A client that takes none of a response for {@code timeouts.send} loses both connections, so it
 * cannot hold a backend (and its place under {@code max_inflight}) for ever; one that reads slowly
 * but keeps reading gets the whole response.
 */
class SendTimeoutTest {
  private static final String BIG = "GET /bytes/50000000 HTTP/1.1\r\nHost: x\r\n\r\n";

  private static StcConfig withSend(StcConfig c, Duration send) {
    return c.withTimeouts(c.timeouts().withSend(send));
  }

  @Test
  void clientsThatStopReadingLetTheBackendGo() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> withSend(cfg, Duration.ofMillis(500)))) {
      Socket[] clients = new Socket[3];
      try {
        for (int i = 0; i < clients.length; i++) {
          clients[i] = new Socket();
          clients[i].setReceiveBufferSize(4096);
          clients[i].connect(new java.net.InetSocketAddress("127.0.0.1", c.stc.port()));
          clients[i].getOutputStream().write(BIG.getBytes(StandardCharsets.US_ASCII));
        }
        // Each response fills what the sockets hold and then waits on a client that reads nothing.
        await().atMost(Duration.ofSeconds(30))
            .until(() -> c.stc.proxy().stats().failures(ProxyFailure.SEND_TIMEOUT) == clients.length);
        await().atMost(Duration.ofSeconds(10)).until(() -> c.backend(0).stats().inFlight() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().connections() == 0);
        // The backend serves others at once.
        assertThat(c.get("/after").statusCode()).isEqualTo(200);
      } finally {
        for (Socket s : clients) {
          if (s != null) {
            s.close();
          }
        }
      }
    }
  }

  @Test
  void anHttp2StreamWhoseClientTakesNothingIsResetAndLetsTheBackendGo() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> withSend(cfg, Duration.ofMillis(500)));
        Socket s = new Socket()) {
      s.setReceiveBufferSize(4096);
      s.connect(new java.net.InetSocketAddress("127.0.0.1", c.stc.port()));
      // Cleartext HTTP/2 by prior knowledge: the preface, empty SETTINGS, one GET; then nothing is
      // read and no WINDOW_UPDATE sent, so the stream's window (and the socket) fill up.
      ByteBuf block = Unpooled.buffer();
      new DefaultHttp2HeadersEncoder().encodeHeaders(1,
          new DefaultHttp2Headers().method("GET").scheme("http").authority("x").path("/bytes/50000000"), block);
      ByteBuf out = Unpooled.buffer();
      out.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.writeMedium(0).writeByte(4).writeByte(0).writeInt(0); // SETTINGS
      out.writeMedium(block.readableBytes()).writeByte(1).writeByte(1 | 4).writeInt(1); // HEADERS, END_STREAM | END_HEADERS
      out.writeBytes(block);
      s.getOutputStream().write(ByteBufUtil.getBytes(out));
      block.release();
      out.release();
      await().atMost(Duration.ofSeconds(30)).until(() -> c.stc.proxy().stats().failures(ProxyFailure.SEND_TIMEOUT) == 1);
      await().atMost(Duration.ofSeconds(10)).until(() -> c.backend(0).stats().inFlight() == 0);
      assertThat(c.get("/after").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aBackendThatTakesNoneOfAnUploadIsAnsweredFor() throws Exception {
    // Reads a request head, then neither the body nor anything else, and never answers.
    try (DeafBackend deaf = new DeafBackend(null);
        TestCluster c = TestCluster.of(0, cfg -> withSend(RawBackend.alone(cfg), Duration.ofMillis(500)));
        Socket client = new Socket("127.0.0.1", c.stc.port())) {
      c.stc.upstream().add("deaf", "127.0.0.1", deaf.port(), 1, BackendState.UP);
      startUpload(client);
      byte[] head = new byte[12];
      int n = 0;
      InputStream in = client.getInputStream();
      while (n < head.length) {
        int r = in.read(head, n, head.length - n);
        assertThat(r).as("an answer before the connection closes").isPositive();
        n += r;
      }
      assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 504");
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.BACKEND_SEND_TIMEOUT)).isEqualTo(1);
    }
  }

  @Test
  void aBackendThatAnswersButTakesNoneOfTheUploadEndsBothConnections() throws Exception {
    // Begins a response, then reads no more of the request.
    String begun = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nearly\r\n";
    try (DeafBackend deaf = new DeafBackend(begun);
        TestCluster c = TestCluster.of(0, cfg -> withSend(RawBackend.alone(cfg), Duration.ofMillis(500)));
        Socket client = new Socket("127.0.0.1", c.stc.port())) {
      c.stc.upstream().add("deaf", "127.0.0.1", deaf.port(), 1, BackendState.UP);
      startUpload(client);
      StringBuilder got = new StringBuilder();
      InputStream in = client.getInputStream();
      byte[] buf = new byte[4096];
      try {
        int r;
        while ((r = in.read(buf)) > 0) {
          got.append(new String(buf, 0, r, StandardCharsets.ISO_8859_1));
        }
      } catch (IOException reset) {
        // stc closed with the upload unread: a reset is as good as an end
      }
      // The begun response stays the only one: a second answer would be read as its body.
      assertThat(got.toString()).startsWith("HTTP/1.1 200").contains("early").doesNotContain("504");
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.BACKEND_SEND_TIMEOUT)).isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().connections() == 0);
    }
  }

  /** Sends the head of a 50 MB upload, then its body from another thread until stc closes. */
  private static void startUpload(Socket client) throws IOException {
    client.setSoTimeout(30_000);
    OutputStream out = client.getOutputStream();
    out.write("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    Thread uploader = new Thread(() -> {
      byte[] chunk = new byte[64 * 1024];
      try {
        for (int i = 0; i < 50_000_000 / chunk.length; i++) {
          out.write(chunk);
        }
      } catch (IOException closed) {
        // stc answered and closed
      }
    });
    uploader.setDaemon(true);
    uploader.start();
  }

  /** A backend that reads each request's head, writes {@code afterHead} (if any), and then reads nothing more. */
  private static final class DeafBackend implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    DeafBackend(String afterHead) throws IOException {
      server.setReceiveBufferSize(4096);
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            Socket s = server.accept();
            held.add(s);
            InputStream in = s.getInputStream();
            int matched = 0;
            while (matched < 4) {
              int b = in.read();
              if (b < 0) {
                break;
              }
              matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            if (afterHead != null) {
              s.getOutputStream().write(afterHead.getBytes(StandardCharsets.US_ASCII));
            }
          }
        } catch (IOException closed) {
          // the test is over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  void aSlowReaderThatKeepsReadingGetsItAll() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> withSend(cfg, Duration.ofSeconds(2)));
        Socket s = new Socket("127.0.0.1", c.stc.port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write("GET /bytes/4000000 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      byte[] buf = new byte[64 * 1024];
      long total = 0;
      int n;
      // 64 KiB at a time, a pause after each: far slower than the proxy writes, never 2 s without a read.
      while (total < 4_000_000 && (n = in.read(buf)) > 0) {
        total += n;
        Thread.sleep(20);
      }
      assertThat(total).isGreaterThan(4_000_000);
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.SEND_TIMEOUT)).isZero();
    }
  }
}
