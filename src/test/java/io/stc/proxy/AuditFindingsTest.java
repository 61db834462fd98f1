package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RawHttp;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TcpRelay;
import io.stc.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The outside audit's findings against the data plane (issue 16), each as it was reproduced: all
 * of these failed on 837b28b.
 */
class AuditFindingsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Finding 1: Connection: Content-Length made the backend read the body as a second request, answered to another client. */
  @Test
  void connectionCannotTakeAwayTheFramingOfARequest() throws Exception {
    try (TestCluster c = TestCluster.of(1)) {
      long before = c.backends.get(0).requests();
      for (String named : List.of("Content-Length", "Transfer-Encoding", "Host")) {
        String attack = "POST /attacker HTTP/1.1\r\nHost: x\r\nConnection: " + named + "\r\nContent-Length: 46\r\n\r\n"
            + "GET /smuggled?delay=3 HTTP/1.1\r\nHost: evil\r\n\r\n";
        assertThat(RawHttp.exchange(c.stc.port(), attack)).startsWith("HTTP/1.1 400 ");
      }
      assertThat(c.backends.get(0).requests()).isEqualTo(before);
      for (String victim : List.of("/victim1", "/victim2")) {
        assertThat(JSON.readTree(c.get(victim).body()).get("path").asText()).isEqualTo(victim);
      }
    }
  }

  /** Finding 1, last variant: a header named by Connection was forwarded when it came before the Connection line. */
  @Test
  void aHeaderNamedByConnectionIsDroppedWhereverItStands() throws Exception {
    try (TestCluster c = TestCluster.of(1)) {
      String raw = RawHttp.exchange(c.stc.port(),
          "GET /headers HTTP/1.1\r\nHost: x\r\nX-Secret: 1\r\nConnection: X-Secret, close\r\nX-After: 2\r\nConnection: X-After\r\n\r\n");
      String body = raw.substring(raw.indexOf("\r\n\r\n") + 4);
      assertThat(raw).startsWith("HTTP/1.1 200 ");
      assertThat(JSON.readTree(body).has("x-secret")).isFalse();
      assertThat(JSON.readTree(body).has("x-after")).isFalse();
    }
  }

  static IntStream controlAndNonAsciiBytes() {
    return IntStream.concat(IntStream.concat(IntStream.rangeClosed(0x00, 0x08), IntStream.rangeClosed(0x0e, 0x1f)),
        IntStream.concat(IntStream.of(0x0b, 0x0c, 0x7f), IntStream.rangeClosed(0x80, 0xff)));
  }

  /** Finding 2: control and non-ASCII bytes in the request target reached the backend verbatim. */
  @ParameterizedTest(name = "0x{0}")
  @MethodSource("controlAndNonAsciiBytes")
  void aControlOrNonAsciiByteInTheTargetIs400AndNothingIsForwarded(int b) throws Exception {
    try (RecordingBackend backend = new RecordingBackend(); TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
      byte[] head = ("GET /admin" + (char) b + "/../public HTTP/1.1\r\nHost: a\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
      assertThat(RawHttp.status(c.stc.port(), head)).isEqualTo(400);
      assertThat(backend.connectionsAccepted()).isZero();
    }
  }

  /**
   * Finding 2: HTTP/0.9 was forwarded as HTTP/1.1; finding 5: the cleartext HTTP/2 preface was
   * forwarded as a request. With {@code h2c: false} the preface is refused; with h2c on (the
   * default) it starts HTTP/2 (CleartextHttp2Test).
   */
  @Test
  void otherHttpVersionsAndTheH2cPrefaceAre505AndNothingIsForwarded() throws Exception {
    try (RecordingBackend backend = new RecordingBackend(); TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withH2c(false))) {
      c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
      assertThat(RawHttp.exchange(c.stc.port(), "GET / HTTP/0.9\r\nHost: a\r\n\r\n")).startsWith("HTTP/1.1 505 ");
      String preface = RawHttp.exchange(c.stc.port(), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
      assertThat(preface).startsWith("HTTP/1.1 505 ").contains("connection: close").contains("HTTP/2 over TLS");
      if (new java.io.File("/usr/bin/curl").canExecute()) {
        Process curl = new ProcessBuilder("curl", "-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}",
            "http://127.0.0.1:" + c.stc.port() + "/").redirectErrorStream(true).start();
        curl.waitFor(20, TimeUnit.SECONDS);
        assertThat(new String(curl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).doesNotStartWith("200");
      }
      assertThat(backend.connectionsAccepted()).isZero();
    }
  }

  /** Finding 3: a body sent a byte at a time was never cut off, and each such client held a backend connection. */
  @Test
  void aTricklingBodyIs408AndASmallOneNeverReachesABackend() throws Exception {
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withTimeouts(cfg.timeouts().withBody(Duration.ofMillis(500))))) {
      c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
      List<CompletableFuture<String>> slow = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        slow.add(CompletableFuture.supplyAsync(() -> {
          try {
            return RawHttp.exchange(c.stc.port(), "POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nx");
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }));
      }
      for (CompletableFuture<String> f : slow) {
        assertThat(f.get(30, TimeUnit.SECONDS)).startsWith("HTTP/1.1 408 ").contains("\"reason\":\"body_timeout\"");
      }
      // Small bodies are read whole before a backend is picked: the backend never saw these clients.
      assertThat(backend.connectionsAccepted()).isZero();
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.BODY_TIMEOUT)).isEqualTo(20);
    }
  }

  @Test
  void aLargeBodyThatStallsIs408AndItsBackendConnectionIsClosed() throws Exception {
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withTimeouts(cfg.timeouts().withBody(Duration.ofMillis(500))));
        Socket s = new Socket()) {
      c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
      s.connect(new InetSocketAddress("127.0.0.1", c.stc.port()));
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      out.write("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[100_000]);
      out.flush();
      // Past the buffer limit the request streams to a backend; then the client stops.
      await().atMost(Duration.ofSeconds(10)).until(() -> backend.connectionsOpen() == 1);
      String answer = readAll(s.getInputStream());
      assertThat(answer).startsWith("HTTP/1.1 408 ");
      await().atMost(Duration.ofSeconds(10)).until(() -> backend.connectionsOpen() == 0);
      assertThat(backend.requests).hasSize(1);
      assertThat(backend.requests.get(0)).startsWith("POST /big HTTP/1.1\r\n");
    }
  }

  /** Finding 8: one client's idle connections filled the limit and every other client was reset. */
  @Test
  void oneClientCannotTakeEveryConnection() throws Exception {
    List<Socket> idle = new ArrayList<>();
    try (TestCluster c = TestCluster.of(1, cfg -> cfg.withLimits(cfg.limits().withConnectionsPerClient(5)))) {
      for (int i = 0; i < 5; i++) {
        idle.add(from("127.0.0.1", c.stc.port()));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().connections() == 5);
      try (Socket sixth = from("127.0.0.1", c.stc.port())) {
        String answer = exchange(sixth, "GET /sixth HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 503 ").contains("retry-after: 1").contains("\"reason\":\"connection_limit\"");
      }
      try (Socket other = from("127.0.0.2", c.stc.port())) {
        assertThat(exchange(other, "GET /other HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200 ");
      }
      idle.get(0).close();
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().connections() == 4);
      try (Socket again = from("127.0.0.1", c.stc.port())) {
        assertThat(exchange(again, "GET /again HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200 ");
      }
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
  }

  /**
   * Finding 9: a hung backend (accepts, never answers) held requests for the whole response
   * timeout while others were idle. Now an idempotent request on a backend that answers nothing
   * while others answer is retried elsewhere after its per-try timeout, and the failures open that
   * backend's breaker.
   */
  @Test
  void aHungBackendCostsNoFailedRequest() throws Exception {
    try (TestCluster c = TestCluster.of(2, cfg -> cfg.withHealth(new StcConfig.Health(false, "/health",
            Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3)));
        TcpRelay hung = new TcpRelay(c.backends.get(1).port())) {
      c.stc.upstream().add("hung", "127.0.0.1", hung.port(), 1, BackendState.UP);
      Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
      AtomicInteger errors = new AtomicInteger();
      AtomicInteger sent = new AtomicInteger();
      ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
      List<CompletableFuture<?>> all = new CopyOnWriteArrayList<>();
      ticker.scheduleAtFixedRate(() -> {
        sent.incrementAndGet();
        all.add(c.http.sendAsync(HttpRequest.newBuilder(c.uri("/load")).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.discarding())
            .whenComplete((r, e) -> {
              if (e != null) {
                errors.incrementAndGet();
              } else {
                statuses.merge(r.statusCode(), 1, Integer::sum);
              }
            }));
      }, 0, 10, TimeUnit.MILLISECONDS);
      try {
        // Enough answers from every backend to know its latency.
        await().atMost(Duration.ofSeconds(30)).until(() ->
            c.stc.upstream().pool().find("hung").stats().requests() >= 40 && c.backend(0).stats().requests() >= 40);
        hung.freeze();
        int atFreeze = sent.get();
        await().atMost(Duration.ofSeconds(30)).until(() ->
            sent.get() >= atFreeze + 300 && c.stc.proxy().stats().failures(ProxyFailure.ATTEMPT_TIMEOUT) > 0);
      } finally {
        ticker.shutdownNow();
        hung.thaw();
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
      assertThat(errors.get()).isZero();
      assertThat(statuses).containsOnlyKeys(200);
      assertThat(c.stc.proxy().stats().retries()).isPositive();
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.RESPONSE_TIMEOUT)).isZero();
    }
  }

  private static Socket from(String localAddress, int port) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
    s.connect(new InetSocketAddress("127.0.0.1", port));
    s.setSoTimeout(10_000);
    return s;
  }

  private static String exchange(Socket s, String request) throws IOException {
    s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
    return readAll(s.getInputStream());
  }

  /**
   * Once the backend has begun its answer, the exchange is a conversation: a client that pauses
   * its body longer than {@code timeouts.body} (waiting on what it reads, as a full-duplex client
   * does) is the backend's to judge, not cut off with a 408 in the middle of the response.
   */
  @Test
  void aBodyThatPausesAfterItsResponseBeganIsNotCutOff() throws Exception {
    try (java.net.ServerSocket duplex = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withTimeouts(cfg.timeouts().withBody(Duration.ofMillis(200))));
        Socket s = new Socket("127.0.0.1", c.stc.port())) {
      // The backend answers at once, then counts the body and ends its answer with the count.
      CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
        try (Socket b = duplex.accept()) {
          InputStream in = b.getInputStream();
          StringBuilder head = new StringBuilder();
          while (!head.toString().endsWith("\r\n\r\n")) {
            head.append((char) in.read());
          }
          OutputStream out = b.getOutputStream();
          out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nready\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          long n = in.readNBytes(200_000).length;
          String count = Long.toString(n);
          out.write((Integer.toHexString(count.length()) + "\r\n" + count + "\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.flush();
          // Done: the answer is whole, so closing now cuts nothing (stc keeps idle connections
          // longer than this test waits).
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      c.stc.upstream().add("duplex", "127.0.0.1", duplex.getLocalPort(), 1, BackendState.UP);
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      out.write("POST /duplex HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      // Past what stc reads whole first (64 KiB): the request streams, and the backend answers.
      out.write(new byte[100_000]);
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder answer = new StringBuilder();
      while (!answer.toString().endsWith("ready\r\n")) {
        int b = in.read();
        assertThat(b).as("the answer so far: %s", answer).isNotNegative();
        answer.append((char) b);
      }
      // The client has nothing to send for three times timeouts.body (the pause is the input under test).
      Thread.sleep(600);
      out.write(new byte[100_000]);
      out.flush();
      while (!answer.toString().endsWith("0\r\n\r\n")) {
        int b = in.read();
        assertThat(b).as("the answer so far: %s", answer).isNotNegative();
        answer.append((char) b);
      }
      assertThat(answer.toString()).startsWith("HTTP/1.1 200 ").contains("\r\n200000\r\n");
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.BODY_TIMEOUT)).isZero();
      s.close();
      served.get(20, TimeUnit.SECONDS);
    }
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) > 0) {
      out.write(buf, 0, n);
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }
}
