package io.stc.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {

  @Test
  void openLoopAchievesTheTargetRate() throws Exception {
    try (TargetServer server = TargetServer.ok()) {
      LoadOptions o = LoadOptions.builder(server.url()).rate(500).duration(Duration.ofSeconds(4)).build();
      List<SecondSample> seconds = new ArrayList<>();
      LoadResult r = new LoadGenerator(o).run(seconds::add);

      assertThat(r.scheduled()).isBetween(1998L, 2000L);
      assertThat(r.completed()).isEqualTo(r.scheduled());
      assertThat(r.errors()).isZero();
      assertThat(r.dropped()).isZero();
      assertThat(server.received.get()).isEqualTo(r.completed());
      assertThat(r.statusCounts()).containsEntry(200, r.completed());
      // How fast this machine kept up is bench/'s business; an open loop is never ahead of its
      // schedule, whose last send is due about 4 s in, however fast it is.
      assertThat(r.elapsedSeconds()).isGreaterThan(3.99);
      assertThat(r.achievedRate()).isCloseTo(r.completed() / r.elapsedSeconds(), within(1e-9));
      assertThat(r.targetMeanRate()).isCloseTo(500, within(1e-6));
      assertThat(r.latency().getTotalCount()).isEqualTo(r.completed());
      assertThat(seconds).hasSizeGreaterThanOrEqualTo(4);
      for (int k = 0; k < seconds.size(); k++) {
        assertThat(seconds.get(k).second()).isEqualTo(k);
      }
      assertThat(seconds.subList(0, 4)).allSatisfy(s -> assertThat(s.targetRate()).isCloseTo(500, within(1e-6)));
      assertThat(seconds.stream().mapToLong(SecondSample::completed).sum()).isEqualTo(r.completed());
    }
  }

  @Test
  void latencyCountsFromTheIntendedSendTimeWhenTheServerStalls() throws Exception {
    long stallMillis = 400;
    List<HttpServerResponse> held = new ArrayList<>();
    AtomicBoolean stalled = new AtomicBoolean();
    // one server event loop: the handler and the release timer never run concurrently
    TargetServer[] ref = new TargetServer[1];
    try (TargetServer server = new TargetServer((req, n) -> {
      if (n == 300) {
        stalled.set(true);
        ref[0].vertx.setTimer(stallMillis, id -> {
          stalled.set(false);
          held.forEach(resp -> resp.end("late"));
          held.clear();
        });
      }
      if (stalled.get()) {
        held.add(req.response());
      } else {
        req.response().end("ok");
      }
    })) {
      ref[0] = server;
      int rate = 500;
      int connections = 8;
      LoadOptions o = LoadOptions.builder(server.url())
          .rate(rate).duration(Duration.ofSeconds(2)).connections(connections).build();
      LoadResult r = new LoadGenerator(o).run();

      assertThat(r.completed()).isEqualTo(r.scheduled());
      long stallMicros = TimeUnit.MILLISECONDS.toMicros(stallMillis);
      assertThat(r.latency().getMaxValue()).isGreaterThanOrEqualTo(stallMicros * 9 / 10);
      // Requests due during the first half of the stall waited at least half of it. Measured from
      // the actual send, only the few sent on the 8 connections before the stall would show it.
      long waitedHalf = r.latency().getCountBetweenValues(stallMicros / 2, r.latency().getMaxValue());
      long dueInFirstHalf = rate * stallMillis / 2 / 1000;
      assertThat(waitedHalf).isGreaterThan(connections).isGreaterThanOrEqualTo(dueInFirstHalf * 8 / 10);
    }
  }

  @Test
  void aSlowServerGetsMoreConnectionsSoRequestsWaitThereNotInTheClient() throws Exception {
    // 300 ms a request at 100 req/s: about 30 in flight at the server, which needs 30 connections.
    try (TargetServer server = TargetServer.slow(300)) {
      LoadResult r = new LoadGenerator(LoadOptions.builder(server.url())
          .rate(100).duration(Duration.ofSeconds(3)).connections(200).build()).run();

      assertThat(r.completed()).isEqualTo(r.scheduled());
      assertThat(r.dropped()).isZero();
      assertThat(r.heldBack()).isZero();
      // The requests waited at the server, many at once; a fixed pool of 8 would have held it at 8.
      assertThat(server.peakInFlight.get()).isGreaterThanOrEqualTo(20);
      assertThat(r.peakConnections()).isGreaterThanOrEqualTo(20).isEqualTo(server.peakOpen.get());
      // Opened as needed, never all 200 ahead of need: at most one per request.
      assertThat(server.accepted.get()).isLessThanOrEqualTo((int) r.scheduled()).isLessThan(200);
      assertThat(r.connectionsOpened()).isEqualTo(server.accepted.get());
    }
  }

  @Test
  void connectionsNeverExceedTheCapAndWhatWaitedForThemIsReported() throws Exception {
    try (TargetServer server = TargetServer.slow(300)) {
      LoadResult r = new LoadGenerator(LoadOptions.builder(server.url())
          .rate(50).duration(Duration.ofSeconds(2)).connections(5).build()).run();

      assertThat(r.completed()).isEqualTo(r.scheduled());
      assertThat(server.peakOpen.get()).isEqualTo(5);
      assertThat(r.peakConnections()).isEqualTo(5);
      assertThat(server.peakInFlight.get()).isEqualTo(5);
      // 5 connections carry 17 req/s at 300 ms: most of the 100 waited in the client, and say so.
      assertThat(r.heldBack()).isGreaterThan(50);
      // Latency still counts from the intended send time: the last ones waited seconds.
      assertThat(r.maxLatencyMillis()).isGreaterThan(2000);
    }
  }

  @Test
  void aFastServerKeepsFewConnections() throws Exception {
    try (TargetServer server = TargetServer.ok()) {
      LoadResult r = new LoadGenerator(LoadOptions.builder(server.url())
          .rate(50).duration(Duration.ofSeconds(3)).connections(1000).build()).run();

      assertThat(r.completed()).isEqualTo(r.scheduled());
      // An answer takes well under the 20 ms between requests: the idle connections are reused.
      // Reaching 75 would take the server stalling for half the run.
      assertThat(server.accepted.get()).isLessThanOrEqualTo(75);
      assertThat(r.peakConnections()).isLessThanOrEqualTo(75);
    }
  }

  @Test
  void aServerThatClosesEveryConnectionGetsANewOneForEachRequest() throws Exception {
    try (TargetServer server = new TargetServer((req, n) -> req.response().putHeader("Connection", "close").end("ok"))) {
      LoadResult r = new LoadGenerator(LoadOptions.builder(server.url())
          .rate(200).duration(Duration.ofSeconds(2)).connections(4).build()).run();

      assertThat(r.completed()).isEqualTo(r.scheduled());
      assertThat(r.errors()).isZero();
      assertThat(r.connectionsOpened()).isGreaterThanOrEqualTo(r.completed());
      // The client's own count: the server may still be closing one connection when the client,
      // which read the response and closed its end, has opened the next (seen under load).
      assertThat(r.peakConnections()).isLessThanOrEqualTo(4);
    }
  }

  @Test
  void aStalledServerGetsPacedConnectionsNotOnePerRequest() throws Exception {
    try (TargetServer server = new TargetServer((req, n) -> {})) {
      LoadOptions o = LoadOptions.builder(server.url()).rate(3000).duration(Duration.ofSeconds(30)).build();
      LoadGenerator g = new LoadGenerator(o);
      LoadResult r = g.run(s -> g.stop());

      // Every request due finds every connection busy; new ones open at the pace, not all at once.
      assertThat(r.scheduled()).isGreaterThan(1000);
      double pace = o.threads() * (Dispatcher.CONNECTS_PER_SECOND * r.elapsedSeconds() + Dispatcher.MAX_CONNECTING);
      assertThat((double) r.connectionsOpened()).isLessThanOrEqualTo(pace);
      assertThat(r.connectionsOpened()).isLessThan(r.scheduled()).isGreaterThan(Dispatcher.MAX_CONNECTING);
    }
  }

  @Test
  void closedLoopSendsExactlyTheRequestedNumber() throws Exception {
    try (TargetServer server = TargetServer.ok()) {
      LoadOptions o = LoadOptions.builder(server.url()).requests(100).connections(10).build();
      LoadResult r = new LoadGenerator(o).run();

      assertThat(server.received.get()).isEqualTo(100);
      assertThat(r.closedLoop()).isTrue();
      assertThat(r.scheduled()).isEqualTo(100);
      assertThat(r.sent()).isEqualTo(100);
      assertThat(r.completed()).isEqualTo(100);
      assertThat(r.targetMeanRate()).isNaN();
    }
  }

  @Test
  void warmUpLoadsALocalSinkNotTheTarget() throws Exception {
    try (TargetServer server = TargetServer.ok()) {
      LoadResult r = new LoadGenerator(LoadOptions.builder(server.url())
          .requests(10).connections(2).warmUp(Duration.ofMillis(500)).build()).run();
      assertThat(server.received.get()).isEqualTo(10);
      assertThat(r.completed()).isEqualTo(10);
      assertThat(r.servedBy()).containsOnlyKeys("(none)");
    }
  }

  @Test
  void splitsResponsesByServedByHeader() throws Exception {
    try (TargetServer server = new TargetServer((req, n) -> {
      if (n % 5 != 0) {
        req.response().putHeader("X-Served-By", n % 2 == 0 ? "backend-b" : "backend-a");
      }
      req.response().end("ok");
    })) {
      LoadOptions o = LoadOptions.builder(server.url()).requests(100).connections(4).build();
      LoadResult r = new LoadGenerator(o).run();

      assertThat(r.servedBy()).containsOnlyKeys("backend-a", "backend-b", "(none)");
      assertThat(r.servedBy().get("backend-a")).isEqualTo(40);
      assertThat(r.servedBy().get("backend-b")).isEqualTo(40);
      assertThat(r.servedBy().get("(none)")).isEqualTo(20);
    }
  }

  @Test
  void cookieJarKeepsEachClientsCookies() throws Exception {
    // The server has one event loop, so these are only touched from it.
    Map<HttpConnection, String> sidOfConnection = new HashMap<>();
    AtomicLong withCookie = new AtomicLong();
    AtomicLong withoutCookie = new AtomicLong();
    AtomicLong someoneElses = new AtomicLong();
    try (TargetServer server = new TargetServer((req, n) -> {
      String cookie = req.getHeader("Cookie");
      if (cookie != null && cookie.startsWith("sid=")) {
        withCookie.incrementAndGet();
        if (!cookie.equals(sidOfConnection.get(req.connection()))) {
          someoneElses.incrementAndGet();
        }
      } else {
        withoutCookie.incrementAndGet();
        sidOfConnection.put(req.connection(), "sid=" + n);
        req.response().putHeader("Set-Cookie", "sid=" + n + "; Path=/; HttpOnly");
      }
      req.response().end("ok");
    })) {
      LoadResult r = new LoadGenerator(LoadOptions.builder(server.url())
          .requests(50).connections(5).cookieJar(true).build()).run();
      assertThat(r.completed()).isEqualTo(50);
      // Each client's first request has no cookie and every later one carries the cookie it was
      // given. The five clients share 50 tickets, so on a busy machine one can find them all taken.
      assertThat(withoutCookie.get()).isBetween(1L, 5L);
      assertThat(withCookie.get()).isEqualTo(50 - withoutCookie.get());
      assertThat(someoneElses.get()).as("cookies sent on a connection other than the one given them").isZero();

      withCookie.set(0);
      new LoadGenerator(LoadOptions.builder(server.url()).requests(20).connections(5).build()).run();
      assertThat(withCookie.get()).as("no jar, no cookies").isZero();
    }
  }

  @Test
  void sendsMethodHeadersAndBody() throws Exception {
    List<String> seen = new ArrayList<>();
    try (TargetServer server = new TargetServer((req, n) -> req.body().onSuccess(body -> {
      synchronized (seen) {
        seen.add(req.method() + " " + req.uri() + " " + req.getHeader("X-Test") + " " + body);
      }
      req.response().setStatusCode(201).end();
    }))) {
      LoadResult r = new LoadGenerator(LoadOptions.builder(server.url() + "items?x=1")
          .requests(3).connections(1).method("post").header("X-Test", "yes").body("{\"a\":1}".getBytes()).build()).run();
      assertThat(r.statusCounts()).containsEntry(201, 3L);
      assertThat(seen).containsOnly("POST /items?x=1 yes {\"a\":1}");
    }
  }

  @Test
  void unansweredRequestsTimeOutAndTheRunGoesOn() throws Exception {
    try (TargetServer server = new TargetServer((req, n) -> {
      if (n != 3) {
        req.response().end("ok");
      }
    })) {
      LoadResult r = new LoadGenerator(LoadOptions.builder(server.url())
          // Long enough that only the unanswered request can run out of it on a loaded machine.
          .requests(6).connections(1).timeout(Duration.ofSeconds(5)).build()).run();
      assertThat(r.timeouts()).isEqualTo(1);
      assertThat(r.completed()).isEqualTo(5);
      assertThat(r.errors()).isEqualTo(1);
      assertThat(server.received.get()).isEqualTo(6);
    }
  }

  @Test
  void aServerThatNeverAnswersMakesTheClientDropInsteadOfQueueingForever() throws Exception {
    try (TargetServer server = new TargetServer((req, n) -> {})) {
      LoadResult r = new LoadGenerator(LoadOptions.builder(server.url())
          .rate(200).duration(Duration.ofSeconds(1)).connections(2).maxOutstanding(20)
          .timeout(Duration.ofSeconds(2)).build()).run();
      // Nothing times out during the 1 s run, so no more than 20 are ever accepted: the rest drop.
      assertThat(r.completed()).isZero();
      assertThat(r.sent()).isLessThanOrEqualTo(20);
      assertThat(r.dropped()).isGreaterThan(100);
      assertThat(r.timeouts()).isGreaterThan(0);
      assertThat(r.scheduled()).isEqualTo(r.sent() + r.dropped() + r.unfinished() - unfinishedInFlight(r));
    }
  }

  /** In-flight requests at the stop were sent, so they count in both sent and unfinished. */
  private static long unfinishedInFlight(LoadResult r) {
    return r.sent() - r.completed() - r.timeouts() - r.ioErrors();
  }

  @Test
  void refusesToStartWhenNothingListens() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    LoadOptions o = LoadOptions.builder("http://127.0.0.1:" + port + "/").rate(10).duration(Duration.ofSeconds(1)).build();
    assertThatThrownBy(() -> new LoadGenerator(o).run())
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("cannot connect to 127.0.0.1:" + port);
  }

  @Test
  void stopEndsARunEarlyWithTheResultSoFar() throws Exception {
    try (TargetServer server = TargetServer.ok()) {
      LoadGenerator g = new LoadGenerator(
          LoadOptions.builder(server.url()).rate(100).duration(Duration.ofSeconds(60)).build());
      List<SecondSample> seconds = new ArrayList<>();
      LoadResult r = g.run(s -> {
        seconds.add(s);
        if (s.totalCompleted() > 0) {
          g.stop();
        }
      });
      assertThat(r.scheduled()).as("stopped before the 60 s schedule ran out").isLessThan(100L * 60);
      assertThat(r.completed()).isGreaterThan(0);
      assertThat(seconds).isNotEmpty();
    }
  }
  @Test
  void responsesTheProxyWouldRejectCountAsErrorsNotAsAnswers() throws Exception {
    // Whitespace before a colon and two Content-Lengths that disagree: the proxy's reader refuses
    // both, and so must the load generator, which reads responses with it.
    String good = "HTTP/1.1 200 OK\r\nX-Served-By: b1\r\nContent-Length: 2\r\n\r\nok";
    String[] bad = {
      "HTTP/1.1 200 OK\r\nX-Served-By : b2\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nX-Served-By: b2\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!",
    };
    try (ScriptedServer server = new ScriptedServer(n -> n % 2 == 0 ? good : bad[(n / 2) % 2])) {
      LoadResult r = new LoadGenerator(LoadOptions.builder(server.url()).requests(8).connections(1).build()).run();
      assertThat(server.answered.get()).isEqualTo(8);
      assertThat(r.completed()).isEqualTo(4);
      assertThat(r.ioErrors()).isEqualTo(4);
      assertThat(r.servedBy()).containsOnlyKeys("b1");
    }
  }

  /** A server that answers each request, on any connection, with the bytes a script gives for its number. */
  private static final class ScriptedServer implements AutoCloseable {
    final AtomicLong answered = new AtomicLong();
    private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final Thread acceptor;
    private final List<Socket> connections = new ArrayList<>();

    ScriptedServer(IntFunction<String> script) throws IOException {
      acceptor = new Thread(() -> {
        while (!socket.isClosed()) {
          try {
            Socket c = socket.accept();
            synchronized (connections) {
              connections.add(c);
            }
            Thread t = new Thread(() -> serve(c, script), "scripted-connection");
            t.setDaemon(true);
            t.start();
          } catch (IOException e) {
            return; // closed
          }
        }
      }, "scripted-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void serve(Socket c, IntFunction<String> script) {
      try (c) {
        InputStream in = c.getInputStream();
        OutputStream out = c.getOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
          // A request is its head: the load generator sends no body here.
          matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
          if (matched == 4) {
            matched = 0;
            int n = (int) answered.getAndIncrement();
            out.write(script.apply(n).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
          }
        }
      } catch (IOException e) {
        // the client closed the connection
      }
    }

    String url() {
      return "http://127.0.0.1:" + socket.getLocalPort() + "/";
    }

    @Override
    public void close() throws Exception {
      socket.close();
      synchronized (connections) {
        for (Socket c : connections) {
          c.close();
        }
      }
      acceptor.join(10_000);
    }
  }
}
