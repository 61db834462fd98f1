package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.StcServer;
import io.stc.config.StatusRanges;
import io.stc.config.StcConfig;
import io.stc.pool.BackendProtocol;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestServer;
import io.stc.testing.RawBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code retry_on_status}: a backend's answer with a listed status (a 503 from one shutting down)
 * sends a request that may go again to another backend, as nginx's {@code proxy_next_upstream
 * http_503} does; other requests, and every request when none is listed, get the answer as it is,
 * and so does a request no other backend can take.
 */
class RetryOnStatusTest {
  private final List<AutoCloseable> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void stop() throws Exception {
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).close();
    }
  }

  private RawBackend backend(String status, String body) throws Exception {
    // A connection per request: the raw backend serves one connection at a time.
    RawBackend b = new RawBackend(
        r -> "HTTP/1.1 " + status + "\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body,
        r -> r.contains("\r\n\r\n") && (!r.toLowerCase().contains("content-length: 7\r\n") || r.endsWith("payload")), true);
    started.add(b);
    return b;
  }

  private int stc(String retryOn, int... ports) throws Exception {
    StcConfig cfg = RawBackend.alone(StcConfig.defaults()
            .withHost("127.0.0.1").withPort(0).withIoThreads(1)
            .withAdmin(StcConfig.Admin.defaults().withPort(0))
            .withStateDir(Files.createTempDirectory("stc-state-").toString()))
        .withRetries(2)
        .withRetryOnStatus(retryOn == null ? StatusRanges.NONE : StatusRanges.parse(retryOn));
    StcServer stc = new StcServer(cfg);
    started.add(() -> stc.close(Duration.ofSeconds(5)));
    int port = stc.start();
    for (int p : ports) {
      stc.upstream().add("b" + p, "127.0.0.1", p, 1, BackendState.UP);
    }
    this.stc = stc;
    return port;
  }

  private StcServer stc;

  private HttpResponse<String> send(int port, String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aListedStatusSendsIdempotentRequestsElsewhereWithTheirBodies() throws Exception {
    RawBackend leaving = backend("503 Service Unavailable", "shutting down");
    RawBackend serving = backend("200 OK", "ok");
    int port = stc("502-504", leaving.port(), serving.port());
    for (int i = 0; i < 10; i++) {
      assertThat(send(port, "GET", "/g" + i, null).body()).isEqualTo("ok");
    }
    // Round robin sends each request to the leaving one first (each try moves the robin on): each went on to the other.
    assertThat(leaving.received).hasSize(10);
    assertThat(serving.received).hasSize(10);
    HttpResponse<String> put = send(port, "PUT", "/p", "payload");
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(serving.received.get(serving.received.size() - 1)).startsWith("PUT /p HTTP/1.1\r\n").endsWith("\r\n\r\npayload");
    assertThat(stc.proxy().stats().retries()).isEqualTo(11);
    // What /api/requests (and the access log) says of each: two attempts.
    String recent = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stc.adminPort() + "/api/requests")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(recent).contains("\"attempts\":2").doesNotContain("\"attempts\":1");
  }

  @Test
  void aRequestThatMayNotGoAgainGetsTheAnswerAsItIs() throws Exception {
    RawBackend leaving = backend("503 Service Unavailable", "shutting down");
    RawBackend serving = backend("200 OK", "ok");
    int port = stc("503", leaving.port(), serving.port());
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      statuses.add(send(port, "POST", "/orders", "payload").statusCode());
    }
    // A POST may have done its work: the one the leaving backend answered is not sent again...
    assertThat(statuses).containsExactlyInAnyOrder(503, 503, 200, 200);
    assertThat(leaving.received.size() + serving.received.size()).isEqualTo(4);
    // ... unless the client says the server dedupes it.
    for (int i = 0; i < 4; i++) {
      assertThat(send(port, "POST", "/orders", "payload", "Idempotency-Key", "k" + i).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void withNothingListedOrNoOtherBackendTheBackendsAnswerReachesTheClient() throws Exception {
    RawBackend leaving = backend("503 Service Unavailable", "shutting down");
    RawBackend serving = backend("200 OK", "ok");
    int port = stc(null, leaving.port(), serving.port());
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      bodies.add(send(port, "GET", "/", null).body());
    }
    assertThat(bodies).containsExactlyInAnyOrder("shutting down", "shutting down", "ok", "ok");
    stop();
    started.clear();

    // Every backend answers 503: the last one's answer goes to the client, not a 502 of stc's own.
    RawBackend a = backend("503 Service Unavailable", "a is leaving");
    RawBackend b = backend("503 Service Unavailable", "b is leaving");
    int port2 = stc("503", a.port(), b.port());
    HttpResponse<String> r = send(port2, "GET", "/", null);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isIn("a is leaving", "b is leaving");
    assertThat(a.received).hasSize(1);
    assertThat(b.received).hasSize(1);
    // Each attempt ended once: nothing is left in flight on either backend.
    stc.upstream().pool().all().forEach(x -> assertThat(x.stats().inFlight()).isZero());
  }

  @Test
  void anHttp2BackendsListedAnswerGoesElsewhereToo() throws Exception {
    Http2TestServer leaving = new Http2TestServer(100);
    started.add(leaving);
    leaving.status(503);
    RawBackend serving = backend("200 OK", "ok");
    int port = stc("503");
    stc.upstream().add("h2", "127.0.0.1", leaving.port(), 1, BackendState.UP, BackendProtocol.H2C);
    stc.upstream().add("h1", "127.0.0.1", serving.port(), 1, BackendState.UP);
    for (int i = 0; i < 6; i++) {
      assertThat(send(port, "GET", "/x" + i, null).body()).isEqualTo("ok");
    }
    assertThat(leaving.requests).hasSize(6);
  }
}
