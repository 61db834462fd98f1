package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.config.StcConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestClient;
import io.stc.testing.RawBackend;
import io.stc.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A backend that begins a response and then sends nothing more is cut off after {@code
 * timeouts.response_body}, however long its client would wait, and counted against; a slow but
 * steady body, or a client that holds the response back, is not.
 */
class ResponseSilenceTest {
  private static final Duration SILENCE = Duration.ofMillis(500);

  private static StcConfig silence(StcConfig c, Duration responseBody, Duration send) {
    return c.withTimeouts(c.timeouts().withResponseBody(responseBody).withSend(send));
  }

  /** Response heads whose bodies stop after a few bytes, each framed its own way. */
  private static String begun(String framing) {
    return switch (framing) {
      case "length" -> "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc";
      case "chunked" -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n";
      default -> "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc"; // delimited by the close
    };
  }

  /**
   * Each framing of a body the backend stops sending, and each way the client can be told it was
   * cut: a close-delimited body reaches an HTTP/1.1 client chunked (then it lacks the last chunk)
   * and an HTTP/1.0 client as it came (then the connection ends with a reset, never a clean close).
   */
  @ParameterizedTest
  @ValueSource(strings = {"length", "chunked", "close", "close/1.0"})
  void aBackendSilentMidBodyIsCutOffAndTheClientNeverSeesAWholeResponse(String framing) throws Exception {
    String version = framing.endsWith("/1.0") ? "HTTP/1.0" : "HTTP/1.1";
    try (RawBackend stuck = new RawBackend(r -> begun(framing));
        TestCluster c = TestCluster.of(0, cfg -> silence(RawBackend.alone(cfg), SILENCE, Duration.ofSeconds(30)));
        Socket client = new Socket("127.0.0.1", c.stc.port())) {
      c.stc.upstream().add("stuck", "127.0.0.1", stuck.port(), 1, BackendState.UP);
      client.getOutputStream().write(("GET /x " + version + "\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      boolean reset = readUntilEnd(client.getInputStream(), got);
      String text = got.toString(StandardCharsets.ISO_8859_1);
      assertThat(text).startsWith("HTTP/1.1 200").contains("abc");
      String head = text.substring(0, text.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
      String body = text.substring(text.indexOf("\r\n\r\n") + 4);
      if (head.contains("content-length: 100")) {
        assertThat(body).as("fewer bytes than the length said").hasSizeLessThan(100);
      } else if (head.contains("transfer-encoding: chunked")) {
        assertThat(body).as("no last chunk").doesNotContain("0\r\n\r\n");
      } else {
        assertThat(reset).as("a reset, not a close that would pass the cut body off as whole: %s", text).isTrue();
      }
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.RESPONSE_BODY_TIMEOUT)).isEqualTo(1);
      Backend b = c.stc.upstream().pool().all().get(0);
      await().atMost(Duration.ofSeconds(10)).until(() -> b.stats().inFlight() == 0);
      assertThat(b.stats().failures()).as("the hung backend counted as failed").isEqualTo(1);
    }
  }

  @Test
  void anHttp2StreamOnASilentBackendIsResetAndTheConnectionServesOn() throws Exception {
    try (RawBackend stuck = new RawBackend(r -> r.startsWith("GET /stuck") ? begun("length")
            : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        TestCluster c = TestCluster.of(0, cfg -> silence(RawBackend.alone(cfg), SILENCE, Duration.ofSeconds(30)));
        Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
      c.stc.upstream().add("stuck", "127.0.0.1", stuck.port(), 1, BackendState.UP);
      CompletableFuture<Http2TestClient.Response> cut = h2.send("GET", "/stuck", null, null);
      assertThat(cut).failsWithin(Duration.ofSeconds(20)).withThrowableOfType(ExecutionException.class);
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.RESPONSE_BODY_TIMEOUT)).isEqualTo(1);
      assertThat(h2.isOpen()).isTrue();
      assertThat(h2.get("/fine").bodyText()).isEqualTo("ok");
    }
  }

  @Test
  void aSlowButSteadyBodyIsNotCutOff() throws Exception {
    // Ten chunks, one every 150 ms: 1.5 s in all, never 500 ms without a byte.
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    try (TrickleBackend slow = new TrickleBackend(pacer, 10, 150);
        TestCluster c = TestCluster.of(0, cfg -> silence(RawBackend.alone(cfg), SILENCE, Duration.ofSeconds(30)))) {
      c.stc.upstream().add("slow", "127.0.0.1", slow.port(), 1, BackendState.UP);
      var r = c.get("/slow");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("chunk\n".repeat(10));
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.RESPONSE_BODY_TIMEOUT)).isZero();
    } finally {
      pacer.shutdownNow();
    }
  }

  @Test
  void aClientThatHoldsTheResponseBackIsNotTheBackendsSilence() throws Exception {
    long size = 20_000_000;
    try (TestCluster c = TestCluster.of(1, cfg -> silence(cfg, SILENCE, Duration.ofSeconds(30)));
        Socket client = new Socket()) {
      client.setReceiveBufferSize(4096);
      client.connect(new java.net.InetSocketAddress("127.0.0.1", c.stc.port()));
      client.getOutputStream().write(("GET /bytes/" + size + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      // The response fills the sockets and waits on this client, which reads nothing meanwhile:
      // stc stops reading the backend, whose silence is then the client's doing.
      await().atMost(Duration.ofSeconds(20)).until(() -> c.stc.proxy().stats().connections() == 1
          && c.backend(0).stats().inFlight() == 1);
      clientPause();
      InputStream in = client.getInputStream();
      byte[] buf = new byte[65536];
      long total = 0;
      int n;
      while (total < size && (n = in.read(buf)) > 0) {
        total += n;
      }
      assertThat(total).as("head and the whole body").isGreaterThan(size);
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.RESPONSE_BODY_TIMEOUT)).isZero();
    }
  }

  /** Reads until the connection ends; true when it ended with a reset. */
  private static boolean readUntilEnd(InputStream in, ByteArrayOutputStream got) {
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) > 0) {
        got.write(buf, 0, n);
      }
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  /** A client that reads nothing for four times {@code timeouts.response_body}: the pause is the input under test. */
  private static void clientPause() throws InterruptedException {
    Thread.sleep(4 * SILENCE.toMillis());
  }

  /** Answers every request with a chunked body of {@code chunks} lines, one every {@code everyMillis}. */
  private static final class TrickleBackend implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final CompletableFuture<Void> loop;

    TrickleBackend(ScheduledExecutorService pacer, int chunks, long everyMillis) throws IOException {
      loop = CompletableFuture.runAsync(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while (!head.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n") && (n = in.read(buf)) > 0) {
              head.write(buf, 0, n);
            }
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            AtomicInteger sent = new AtomicInteger();
            pacer.scheduleAtFixedRate(() -> {
              try {
                if (sent.incrementAndGet() <= chunks) {
                  out.write("6\r\nchunk\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } else {
                  out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                  s.close();
                  throw new IllegalStateException("done"); // ends this schedule
                }
                out.flush();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            }, everyMillis, everyMillis, TimeUnit.MILLISECONDS);
          } catch (IOException e) {
            return;
          }
        }
      });
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
      loop.join();
    }
  }
}
