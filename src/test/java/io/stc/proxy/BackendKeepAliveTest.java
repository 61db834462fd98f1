package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.ManualClock;
import io.stc.StcServer;
import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TestCluster;
import io.stc.pool.Backend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backend connections are kept for the next request, whatever the request carried. */
class BackendKeepAliveTest {

  @Test
  void oneClientConnectionsRequestsShareOneBackendConnection() throws Exception {
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = TestCluster.of(0, RawBackend::alone);
        Socket s = new Socket()) {
      c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
      s.connect(new InetSocketAddress("127.0.0.1", c.stc.port()));
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      String[] requests = {
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
        "HEAD /c HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /d HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "DELETE /e HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /f HTTP/1.1\r\nHost: a\r\n\r\n",
      };
      for (String r : requests) {
        out.write(r.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        assertThat(in.readLine()).startsWith("HTTP/1.1 200 ");
        boolean head = r.startsWith("HEAD");
        String line;
        while (!(line = in.readLine()).isEmpty()) {
          // the response's fields
        }
        if (!head) {
          char[] ok = new char[2];
          assertThat(in.read(ok)).isEqualTo(2);
        }
      }
      assertThat(backend.requests).hasSize(requests.length);
      assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }
  }

  /**
   * A backend that answers each connection's first request, keeping it alive, and closes it when a
   * second one comes: the close of an idle connection racing the request sent on it, made certain.
   */
  @Test
  void anIdempotentRequestOnAKeptConnectionTheBackendClosedGoesAgainOnAFreshOne() throws Exception {
    AtomicInteger accepted = new AtomicInteger();
    List<String> lines = new CopyOnWriteArrayList<>();
    try (ServerSocket closer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      acceptEach(closer, accepted, conn -> answerOnceThenClose(conn, lines));
      Backend b = c.stc.upstream().add("closer", "127.0.0.1", closer.getLocalPort(), 1, BackendState.UP);

      assertThat(c.get("/one").statusCode()).isEqualTo(200);
      assertThat(c.get("/two").statusCode()).as("GET on the closed connection, then on a new one").isEqualTo(200);
      assertThat(lines).containsExactly("GET /one HTTP/1.1", "GET /two HTTP/1.1", "GET /two HTTP/1.1");
      assertThat(accepted.get()).isEqualTo(2);
      assertThat(b.stats().failures()).as("no verdict on the backend").isZero();

      // A POST may have been acted on: it is not sent again.
      HttpResponse<String> post = c.http.send(HttpRequest.newBuilder(c.uri("/three"))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(502);
      assertThat(lines).containsOnlyOnce("POST /three HTTP/1.1");

      // Unless its client says the server dedupes it, as Go's client reads an Idempotency-Key.
      assertThat(c.get("/four").statusCode()).isEqualTo(200);
      for (String key : new String[] {"Idempotency-Key", "X-Idempotency-Key"}) {
        assertThat(c.get("/four").statusCode()).as("keeps a connection for the POST").isEqualTo(200);
        HttpResponse<String> keyed = c.http.send(HttpRequest.newBuilder(c.uri("/five")).header(key, "8e03978e")
            .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(keyed.statusCode()).as(key).isEqualTo(200);
      }
      assertThat(lines.stream().filter(l -> l.equals("POST /five HTTP/1.1"))).as("each sent twice").hasSize(4);
    }
  }

  /**
   * Node's and Apache's servers say how long they keep an idle connection (Node: {@code Keep-Alive:
   * timeout=5}) and close it then, racing whatever request is sent on it; a POST lost in that race
   * cannot go again. The backend here says one second and closes a connection when its second
   * request comes: a connection is not reused once it has waited the backend's timeout less a
   * second, so the POST goes on a fresh one. Without a timeout said, the connection is reused (and
   * the race lost, as the test above shows).
   */
  @Test
  void aConnectionIsNotReusedOnceItWaitedAsLongAsTheBackendSaidItWould() throws Exception {
    for (String fields : new String[] {"Keep-Alive: timeout=1\r\n", "keep-alive: max=100, Timeout = 1\r\n", ""}) {
      AtomicInteger accepted = new AtomicInteger();
      List<String> lines = new CopyOnWriteArrayList<>();
      try (ServerSocket closer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
          TestCluster c = TestCluster.of(0, RawBackend::alone)) {
        acceptEach(closer, accepted, conn -> answerOnceThenClose(conn, lines, fields));
        c.stc.upstream().add("node", "127.0.0.1", closer.getLocalPort(), 1, BackendState.UP);

        HttpResponse<String> first = c.get("/one");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("keep-alive")).as("a hop-by-hop field, not forwarded").isEmpty();
        HttpResponse<String> post = c.http.send(HttpRequest.newBuilder(c.uri("/two"))
            .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        if (fields.isEmpty()) {
          assertThat(post.statusCode()).as("reused, and closed under it").isEqualTo(502);
          assertThat(accepted.get()).isEqualTo(1);
        } else {
          assertThat(post.statusCode()).as(fields).isEqualTo(200);
          assertThat(accepted.get()).as("the POST on a fresh connection").isEqualTo(2);
        }
        assertThat(lines).containsExactly("GET /one HTTP/1.1", "POST /two HTTP/1.1");
      }
    }
  }

  /**
   * The same rule in time, on the proxy's clock: a backend that says it waits five seconds keeps
   * its connection for the requests of the next four, and not after.
   */
  @Test
  void anIdleConnectionIsReusedWithinTheBackendsTimeoutLessASecond(@TempDir Path state) throws Exception {
    reusedWithinAndNotAfter(state, "Keep-Alive: timeout=5\r\n", StcConfig.Timeouts.defaults().withBackendIdle(Duration.ofSeconds(60)), 4000);
  }

  /**
   * A backend that says nothing (or says more than {@code timeouts.backend_idle}) has its idle
   * connections reused by any request within {@code backend_idle}; past it, only by requests that
   * can be sent again if the connection closes under them (a GET), until a minute (or the said
   * limit less a second) has passed; a POST gets a fresh connection.
   */
  @Test
  void anIdleConnectionIsReusedWithinBackendIdleAndByResendableRequestsBeyond(@TempDir Path state) throws Exception {
    keptLongerForRequestsThatCanGoAgain(state, "", StcConfig.Timeouts.defaults(), 4000, 60_000);
    keptLongerForRequestsThatCanGoAgain(state, "", StcConfig.Timeouts.defaults().withBackendIdle(Duration.ofMillis(1500)), 1500, 60_000);
    // The backend's own limit, less a second, bounds both.
    keptLongerForRequestsThatCanGoAgain(state, "Keep-Alive: timeout=30\r\n", StcConfig.Timeouts.defaults(), 4000, 29_000);
  }

  /**
   * A GET {@code limitMillis} + 100 ms after the first reuses its connection; a POST as long after
   * that gets a fresh one, the old one staying; {@code resendableMillis} + 100 ms later stc has
   * closed both with no request to come.
   */
  private static void keptLongerForRequestsThatCanGoAgain(Path state, String fields, StcConfig.Timeouts timeouts,
      long limitMillis, long resendableMillis) throws Exception {
    try (KeptNode n = KeptNode.start(state, fields, timeouts)) {
      assertThat(get(n.stc)).isEqualTo(200);
      n.clock.advance(Duration.ofMillis(limitMillis + 100));
      assertThat(get(n.stc)).isEqualTo(200);
      assertThat(n.accepted.get()).as("a GET idle %d ms after: reused", limitMillis + 100).isEqualTo(1);
      n.clock.advance(Duration.ofMillis(limitMillis + 100));
      assertThat(postWithoutBody(n.stc)).isEqualTo(200);
      assertThat(n.accepted.get()).as("a POST idle %d ms after: a fresh connection", limitMillis + 100).isEqualTo(2);
      assertThat(n.closedByStc.get()).as("the old one kept for requests that can go again").isZero();
      n.clock.advance(Duration.ofMillis(resendableMillis + 100));
      Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(n.closedByStc.get()).as("both closed with no request to come").isEqualTo(2));
    }
  }

  private static int postWithoutBody(StcServer stc) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stc.port() + "/"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  /**
   * gunicorn's threaded workers close a connection idle for 2 s and say nothing of it; Uvicorn does
   * at 5 s, Go's servers at their IdleTimeout. Once the backend is seen to close kept connections
   * that waited 2 s, twice, its connections are not reused after 1 s idle (and are within it).
   */
  @Test
  void aBackendSeenToCloseIdleConnectionsHasThemKeptASecondLessThanThat(@TempDir Path state) throws Exception {
    ManualClock clock = new ManualClock(1_000_000_000L);
    AtomicInteger accepted = new AtomicInteger();
    List<Socket> conns = new CopyOnWriteArrayList<>();
    try (ServerSocket gunicorn = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      acceptEach(gunicorn, accepted, conn -> {
        conns.add(conn);
        answerAll(conn, "", new AtomicInteger());
      });
      StcServer stc = startStc(state, gunicorn.getLocalPort(), StcConfig.Timeouts.defaults(), clock);
      try {
        Backend b = stc.upstream().pool().all().get(0);
        assertThat(get(stc)).isEqualTo(200);
        // Idle 2 s (within the 4 s of timeouts.backend_idle), the backend closes it. Once says
        // little (a restart closes every connection, whatever its wait): it is noted, not believed.
        clock.advance(Duration.ofSeconds(2));
        conns.get(0).close();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.idleClosePendingNanos() == Duration.ofSeconds(2).toNanos());
        assertThat(b.idleCloseSeenNanos()).isEqualTo(Long.MAX_VALUE);
        // A second connection closed at the same wait, a while later: that is the backend's timeout.
        assertThat(get(stc)).isEqualTo(200);
        assertThat(accepted.get()).isEqualTo(2);
        clock.advance(Duration.ofSeconds(2));
        conns.get(1).close();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.idleCloseSeenNanos() != Long.MAX_VALUE);
        assertThat(b.idleCloseSeenNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
        String stats = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stc.adminPort() + "/api/stats")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertThat(stats).contains("\"idle_close_seen_ms\":2000");

        assertThat(get(stc)).isEqualTo(200);
        assertThat(accepted.get()).isEqualTo(3);
        clock.advance(Duration.ofMillis(900));
        assertThat(get(stc)).isEqualTo(200);
        assertThat(accepted.get()).as("idle 0.9 s: reused").isEqualTo(3);
        clock.advance(Duration.ofMillis(1100));
        assertThat(get(stc)).isEqualTo(200);
        assertThat(accepted.get()).as("idle 1.1 s: a fresh connection, not one the backend may be closing").isEqualTo(4);
      } finally {
        stc.close(Duration.ofSeconds(2));
      }
    }
  }

  /**
   * Requests idle {@code limitMillis} − 100 ms apart share a connection; {@code limitMillis} + 100
   * ms later one goes on a fresh connection, and the stale one is closed. Then a connection left
   * idle past its limit with no request to come is closed by stc all the same.
   */
  private static void reusedWithinAndNotAfter(Path state, String fields, StcConfig.Timeouts timeouts, long limitMillis)
      throws Exception {
    try (KeptNode n = KeptNode.start(state, fields, timeouts)) {
      assertThat(get(n.stc)).isEqualTo(200);
      n.clock.advance(Duration.ofMillis(limitMillis - 100));
      assertThat(get(n.stc)).isEqualTo(200);
      assertThat(n.accepted.get()).as("idle %d ms, %d allowed: reused", limitMillis - 100, limitMillis).isEqualTo(1);
      n.clock.advance(Duration.ofMillis(limitMillis + 100));
      assertThat(get(n.stc)).isEqualTo(200);
      assertThat(n.accepted.get()).as("idle %d ms: a fresh connection", limitMillis + 100).isEqualTo(2);
      Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(n.closedByStc.get()).as("the stale one closed by stc").isEqualTo(1));
      n.clock.advance(Duration.ofMillis(limitMillis + 100));
      Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(n.closedByStc.get()).as("the one left idle past its time, closed with no request to come").isEqualTo(2));
      assertThat(n.accepted.get()).isEqualTo(2);
    }
  }

  /**
   * A backend that answers every request with {@code fields} on each connection it accepts,
   * counting the connections it accepted and those stc closed, behind stc on a manual clock.
   */
  private static final class KeptNode implements AutoCloseable {
    final ManualClock clock = new ManualClock(1_000_000_000L);
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger closedByStc = new AtomicInteger();
    private final ServerSocket node;
    StcServer stc;

    private KeptNode(ServerSocket node) {
      this.node = node;
    }

    static KeptNode start(Path state, String fields, StcConfig.Timeouts timeouts) throws Exception {
      KeptNode n = new KeptNode(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
      try {
        acceptEach(n.node, n.accepted, conn -> answerAll(conn, fields, n.closedByStc));
        n.stc = startStc(state, n.node.getLocalPort(), timeouts, n.clock);
        return n;
      } catch (Exception | Error e) {
        n.node.close();
        throw e;
      }
    }

    @Override
    public void close() throws Exception {
      try {
        stc.close(Duration.ofSeconds(2));
      } finally {
        node.close();
      }
    }
  }

  /** stc on the manual clock, with one backend at {@code port} and no health checks. */
  private static StcServer startStc(Path state, int port, StcConfig.Timeouts timeouts, ManualClock clock) throws Exception {
    StcServer stc = new StcServer(StcConfig.defaults().withHost("127.0.0.1").withPort(0)
        .withAdmin(StcConfig.Admin.defaults().withPort(0)).withStateDir(state.toString()).withTimeouts(timeouts)
        .withHealth(new StcConfig.Health(false, "/health", Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 1))
        .withBackends(List.of(new StcConfig.BackendConfig("127.0.0.1", port, 1))), clock);
    stc.start();
    return stc;
  }

  /** One client, so a test's requests share a connection to stc, and so one event loop and its backend pool. */
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** A GET of / through stc; its status. */
  private static int get(StcServer stc) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stc.port() + "/")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  /** Serves each connection {@code server} accepts on a thread of its own, counting them, until it closes. */
  private static void acceptEach(ServerSocket server, AtomicInteger accepted, java.util.function.Consumer<Socket> serve) {
    Thread acceptor = new Thread(() -> {
      while (true) {
        try {
          Socket conn = server.accept();
          accepted.incrementAndGet();
          Thread t = new Thread(() -> serve.accept(conn));
          t.setDaemon(true);
          t.start();
        } catch (IOException closed) {
          return;
        }
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Answers every request on the connection with {@code fields}; counts the connection when stc closes it. */
  private static void answerAll(Socket conn, String fields, AtomicInteger closedByPeer) {
    try (conn) {
      BufferedReader in = new BufferedReader(new InputStreamReader(conn.getInputStream(), StandardCharsets.ISO_8859_1));
      OutputStream out = conn.getOutputStream();
      while (true) {
        String requestLine = in.readLine();
        if (requestLine == null) {
          closedByPeer.incrementAndGet();
          return;
        }
        String line;
        while (!(line = in.readLine()).isEmpty()) {
          // a GET: no body
        }
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + fields + "\r\nok").getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    } catch (IOException gone) {
      closedByPeer.incrementAndGet();
    }
  }

  private static void answerOnceThenClose(Socket conn, List<String> lines) {
    answerOnceThenClose(conn, lines, "");
  }

  /** Answers the first request with {@code fields} among its header fields, and closes the connection unanswered on the second. */
  private static void answerOnceThenClose(Socket conn, List<String> lines, String fields) {
    try (conn) {
      BufferedReader in = new BufferedReader(new InputStreamReader(conn.getInputStream(), StandardCharsets.ISO_8859_1));
      OutputStream out = conn.getOutputStream();
      for (int n = 0; ; n++) {
        String requestLine = in.readLine();
        if (requestLine == null) {
          return;
        }
        lines.add(requestLine);
        if (n == 1) {
          return; // the second request on this connection: closed unanswered
        }
        int length = 0;
        String line;
        while (!(line = in.readLine()).isEmpty()) {
          if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        in.skip(length);
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + fields + "\r\nok").getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    } catch (IOException gone) {
      // stc closed it
    }
  }
}
