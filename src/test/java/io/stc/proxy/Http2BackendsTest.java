package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.stc.config.StcConfig;
import io.stc.pool.BackendProtocol;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestClient;
import io.stc.testing.Http2TestServer;
import io.stc.testing.RawBackend;
import io.stc.testing.TestCluster;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** HTTP/2 to backends: cleartext h2c, multiplexed per event loop, within the backend's stream limit, through GOAWAY and refused streams. */
class Http2BackendsTest {
  @Test
  void anH2cBackendGetsHttp1AndHttp2ClientsRequestsAsStreams() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(100);
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      c.stc.upstream().add("h2c", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      var r = c.get("/through?x=1");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("/through?x=1 0");
      assertThat(r.headers().firstValue("x-backend-version")).contains("h2");
      assertThat(r.headers().firstValue("x-served-by")).contains("h2c");
      // A body streams as DATA frames, all of it, past the stream's flow-control window.
      HttpResponse<String> post = c.http.send(HttpRequest.newBuilder(c.uri("/up"))
          .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("y".repeat(1_000_000))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(post.body()).isEqualTo("/up 1000000");
      // HEAD has no body whatever its headers say.
      HttpResponse<Void> head = c.http.send(HttpRequest.newBuilder(c.uri("/h")).timeout(Duration.ofSeconds(30))
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
      assertThat(head.statusCode()).isEqualTo(200);
      // And an HTTP/2 client end to end.
      try (Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
        Http2TestClient.Response r2 = h2.get("/both-ways");
        assertThat(r2.status()).isEqualTo(200);
        assertThat(r2.bodyText()).isEqualTo("/both-ways 0");
      }
      assertThat(backend.requests.get(0).method().toString()).isEqualTo("GET");
      assertThat(backend.requests.get(0).authority().toString()).isEqualTo("127.0.0.1:" + c.stc.port());
    }
  }

  @Test
  void trailersGoBothWaysAndManyStreamsShareFewConnectionsWithinTheLimit() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(5);
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      c.stc.upstream().add("h2", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      try (Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
        Http2TestClient.Response r = h2.send("POST", "/grpc-like", "payload".getBytes(StandardCharsets.UTF_8),
            new DefaultHttp2Headers().add("x-request-trailer", "t1")).get(20, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("/grpc-like 7");
        assertThat(r.trailers().get("x-request-trailer").toString()).isEqualTo("t1");

        List<CompletableFuture<Http2TestClient.Response>> many = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
          many.add(h2.send("GET", "/m" + i, null, null));
        }
        for (CompletableFuture<Http2TestClient.Response> f : many) {
          assertThat(f.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
        }
      }
      // 60 concurrent streams through a backend that takes 5 at a time per connection: more
      // connections, but far fewer than streams.
      assertThat(backend.connections()).isBetween(1, 30);
      assertThat(backend.requests).hasSize(61);
      assertThat(backend.requests.get(0).get("x-forwarded-for").toString()).isEqualTo("127.0.0.1");
      assertThat(backend.requests.get(0).contains("connection")).isFalse();
    }
  }

  /**
   * Clients that stop reading hold their own streams' windows, never the connection's: 40 HTTP/2
   * clients that take the first 64 KiB of a download and grant no more leave each of their
   * backend streams holding 64 KiB on stc's one connection to an h2c backend (more than the 1 MiB
   * its window once was: sixteen such stalled every stream on it), and a reading client's download
   * on the same connection goes through whole.
   */
  @Test
  void clientsThatStopReadingDoNotStallOthersOnTheirBackendConnection() throws Exception {
    List<java.net.Socket> slow = new ArrayList<>();
    try (Http2TestServer backend = new Http2TestServer(1000);
        TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withIoThreads(1))) {
      backend.bodySize(8 << 20);
      c.stc.upstream().add("h2c", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      for (int i = 0; i < 40; i++) {
        slow.add(stalledHttp2Download(c.stc.port()));
      }
      // Each slow stream: 64 KiB on to its client, and up to its window held in stc. A fixed 1 MiB
      // connection window would let the backend send 40 x 64 KiB + 1 MiB (3.7 MB) in all, then
      // nothing more on any stream; stc's lets each stream hold its own.
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> backend.responseBytesSent.get() >= 40L * 105_000);
      HttpResponse<byte[]> fast = c.http.send(HttpRequest.newBuilder(c.uri("/fast")).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(fast.statusCode()).isEqualTo(200);
      assertThat(fast.body()).hasSize(8 << 20);
      assertThat(backend.connections()).as("all on one connection").isEqualTo(1);
    } finally {
      for (java.net.Socket s : slow) {
        s.close();
      }
    }
  }

  /**
   * An HTTP/2 client, in raw frames, that asks for {@code /big} and never reads nor grants window:
   * stc may send it the protocol's first 64 KiB and no more.
   */
  private static java.net.Socket stalledHttp2Download(int port) throws java.io.IOException {
    java.net.Socket s = new java.net.Socket("127.0.0.1", port);
    java.io.OutputStream out = s.getOutputStream();
    out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // SETTINGS, empty
    // HPACK: :method GET, :scheme http (static entries), :path /big, :authority a (literals)
    byte[] block = {(byte) 0x82, (byte) 0x86, 0x04, 4, '/', 'b', 'i', 'g', 0x01, 1, 'a'};
    out.write(new byte[] {0, 0, (byte) block.length, 1, 0x05, 0, 0, 0, 1}); // HEADERS, END_STREAM | END_HEADERS, stream 1
    out.write(block);
    out.flush();
    return s;
  }

  @Test
  void goAwayAndRefusedStreamsUnderLoadFailNoRequest() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(100);
        TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withRetries(2))) {
      backend.goAwayEvery(25);
      backend.refuseEvery(13);
      c.stc.upstream().add("h2", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
      List<CompletableFuture<?>> all = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        // POSTs too: a refused stream was never processed, so it goes again whatever the method.
        HttpRequest req = i % 3 == 0
            ? HttpRequest.newBuilder(c.uri("/p" + i)).timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("b" + i)).build()
            : HttpRequest.newBuilder(c.uri("/g" + i)).timeout(Duration.ofSeconds(30)).build();
        all.add(http.sendAsync(req, HttpResponse.BodyHandlers.discarding())
            .thenAccept(resp -> statuses.merge(resp.statusCode(), 1, Integer::sum)));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      assertThat(statuses).containsOnlyKeys(200);
      assertThat(backend.connections()).isGreaterThan(1);
      assertThat(c.stc.proxy().stats().retries()).isPositive();
    }
  }

  @Test
  void aBackendThatLowersItsStreamLimitUnderLoadFailsNoRequest() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(100);
        TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withRetries(2))) {
      backend.lowerLimitEvery(40, 3);
      backend.answerAfter(20);
      c.stc.upstream().add("h2", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
      List<CompletableFuture<?>> all = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        all.add(http.sendAsync(HttpRequest.newBuilder(c.uri("/l" + i)).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.discarding()).thenAccept(resp -> statuses.merge(resp.statusCode(), 1, Integer::sum)));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      assertThat(statuses).containsOnlyKeys(200);
    }
  }

  @Test
  void aResponseFieldWithACrOrLfIsABadResponseNotASecondField() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(100);
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      backend.extraResponseHeader("x-note", "fine\r\nset-cookie: session=stolen");
      c.stc.upstream().add("h2", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      HttpResponse<String> r = c.get("/split");
      assertThat(r.statusCode()).isEqualTo(502);
      assertThat(r.headers().map()).doesNotContainKey("set-cookie");
      backend.extraResponseHeader("x-note", "fine\tand more");
      assertThat(io.stc.testing.RawHttp.exchange(c.stc.port(), "GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
          .startsWith("HTTP/1.1 200").contains("\r\nx-note: fine\tand more\r\n");

      // Nor in trailers, which an HTTP/1.1 client gets as text after the last chunk: the response is cut.
      backend.extraResponseTrailer("grpc-message", "done\r\nset-cookie: session=stolen");
      String h1 = io.stc.testing.RawHttp.exchange(c.stc.port(), "GET /t HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nConnection: close\r\n\r\n");
      // The head and body came in the same read as the trailers: the client still gets the status the
      // backend answered with, then the cut (no last chunk), not an empty reply.
      assertThat(h1).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("set-cookie").doesNotContain("\r\n0\r\n");
      backend.extraResponseTrailer("grpc-message", "done");
      assertThat(io.stc.testing.RawHttp.exchange(c.stc.port(), "GET /t HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nConnection: close\r\n\r\n"))
          .contains("\r\n0\r\ngrpc-message: done\r\n\r\n");
    }
  }

  /**
   * Node's http2 server ends most answers under load with RST_STREAM(NO_ERROR) in place of the last
   * END_STREAM (its handler did not read the request, and the END_STREAM was still queued behind
   * flow control). A body whole by its content-length is a whole response; one without a length,
   * or short of it, is cut: an HTTP/1.1 client loses the connection, an HTTP/2 client's stream is
   * reset with INTERNAL_ERROR.
   */
  @Test
  void aResetWithoutErrorEndsAResponseWholeByItsLengthAndNoOther() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(100);
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      c.stc.upstream().add("node", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      backend.endWithReset("/whole 0".length());
      HttpResponse<String> whole = c.get("/whole");
      assertThat(whole.statusCode()).isEqualTo(200);
      assertThat(whole.body()).isEqualTo("/whole 0");
      HttpResponse<Void> head = c.http.send(HttpRequest.newBuilder(c.uri("/whole")).timeout(Duration.ofSeconds(30))
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
      assertThat(head.statusCode()).as("a HEAD's answer is whole at its head").isEqualTo(200);
      try (Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
        assertThat(h2.get("/whole").bodyText()).isEqualTo("/whole 0");

        backend.endWithReset(-1);
        assertThat(io.stc.testing.RawHttp.exchange(c.stc.port(), "GET /nolength HTTP/1.1\r\nHost: a\r\n\r\n"))
            .as("chunked, and cut: no last chunk").startsWith("HTTP/1.1 200").contains("/nolength 0").doesNotContain("\r\n0\r\n");
        assertThatThrownBy(() -> h2.get("/nolength")).hasMessageContaining("stream reset: " + Http2Error.INTERNAL_ERROR.code());

        backend.endWithReset(1000);
        assertThatThrownBy(() -> h2.get("/short")).hasMessageContaining("stream reset: " + Http2Error.INTERNAL_ERROR.code());
        assertThat(h2.isOpen()).isTrue();
      }
    }
  }

  /**
   * RFC 9113 8.2.2: a connection-specific field makes an HTTP/2 response malformed. Netty's decoder
   * resets the stream; the client's 502 says the backend answered badly, not that it went away.
   */
  @Test
  void aResponseWithAConnectionSpecificFieldIsABadResponse() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(100);
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      backend.extraResponseHeader("connection", "x-private");
      c.stc.upstream().add("h2", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      HttpResponse<String> r = c.get("/hop");
      assertThat(r.statusCode()).isEqualTo(502);
      assertThat(r.body()).contains("\"reason\":\"bad_response\"");
      assertThat(r.headers().map()).doesNotContainKey("connection").doesNotContainKey("x-private");
    }
  }

  @Test
  void aBackendThatTakesNoStreamsGetsOneConnectionPerRequestAndItsRequestsGoElsewhere() throws Exception {
    try (Http2TestServer none = new Http2TestServer(0);
        Http2TestServer other = new Http2TestServer(100);
        TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withRetries(2))) {
      c.stc.upstream().add("none", "127.0.0.1", none.port(), 1, BackendState.UP, BackendProtocol.H2C);
      c.stc.upstream().add("other", "127.0.0.1", other.port(), 1, BackendState.UP, BackendProtocol.H2C);
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> r = c.get("/z" + i);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-served-by")).contains("other");
      }
      // Not a connection after connection for the same request: at most one for each that tried it.
      assertThat(none.connections()).isBetween(1, 10);
      assertThat(other.requests).hasSize(10);
    }
  }

  @Test
  void h2loadsStreamsGoThroughToAnH2cBackendEndToEnd() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(new java.io.File("/usr/bin/h2load").canExecute(), "h2load is installed by .ci/run");
    try (Http2TestServer backend = new Http2TestServer(20);
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      c.stc.upstream().add("h2c", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      Process h2load = new ProcessBuilder("h2load", "-n", "3000", "-c", "4", "-m", "10",
          "http://127.0.0.1:" + c.stc.port() + "/load").redirectErrorStream(true).start();
      String out = new String(h2load.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(h2load.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(out).contains("3000 succeeded, 0 failed, 0 errored").contains("status codes: 3000 2xx");
      assertThat(backend.requests).hasSize(3000);
      // 40 streams at most at once, 20 a connection, a pool per event loop: a few connections.
      // (A stream that did not free its place once counted for ever: 10 connections here, then.)
      assertThat(backend.connections()).isBetween(1, 6);
    }
  }

  @Test
  void protocolIsReadFromTheConfigFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path f = dir.resolve("stc.yaml");
    java.nio.file.Files.writeString(f, "backends:\n  - {host: 127.0.0.1, port: 3001, protocol: h2c}\n  - {host: 127.0.0.1, port: 3002}\n");
    StcConfig cfg = io.stc.config.ConfigLoader.load(f);
    assertThat(cfg.backends().get(0).protocol()).isEqualTo(BackendProtocol.H2C);
    assertThat(cfg.backends().get(1).protocol()).isEqualTo(BackendProtocol.HTTP1);
  }
}
