package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.AddressRange;
import io.stc.config.StcConfig;
import io.stc.config.StcConfig.RequestId.Incoming;
import io.stc.pool.BackendProtocol;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestClient;
import io.stc.testing.Http2TestServer;
import io.stc.testing.RawBackend;
import io.stc.testing.RawHttp;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TestCluster;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every request carries one ID to its backend, back to its client (on stc's own answers too) and
 * into the request log: the client's own when it may be kept and is well formed, else a new one.
 */
class RequestIdThroughProxyTest {
  private static final Pattern GENERATED = Pattern.compile("[0-9a-f]{32}");

  static TestCluster cluster(RecordingBackend backend, UnaryOperator<StcConfig> tweak) throws InterruptedException {
    TestCluster c = TestCluster.of(0, cfg -> tweak.apply(RawBackend.alone(cfg)));
    if (backend != null) {
      c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
    }
    return c;
  }

  static String get(int port, String extraHeaders) throws Exception {
    return RawHttp.exchange(port, "GET /id HTTP/1.1\r\nHost: x\r\n" + extraHeaders + "Connection: close\r\n\r\n");
  }

  /** The value of the one header of that name in a head (lower-cased names), or fails. */
  static String only(String head, String name) {
    Matcher m = Pattern.compile("(?i)\n" + Pattern.quote(name) + ": ([^\r\n]*)\r\n").matcher(head);
    assertThat(m.find()).as(name + " in\n" + head).isTrue();
    String v = m.group(1);
    assertThat(m.find()).as("a second " + name + " in\n" + head).isFalse();
    return v;
  }

  @Test
  void aNewIdGoesToTheBackendBackToTheClientAndIntoTheRequestLog() throws Exception {
    try (RecordingBackend backend = new RecordingBackend(); TestCluster c = cluster(backend, cfg -> cfg)) {
      String response = get(c.stc.port(), "");
      assertThat(response).startsWith("HTTP/1.1 200");
      String id = only(response, "x-request-id");
      assertThat(id).matches(GENERATED);
      assertThat(only(backend.requests.get(0), "x-request-id")).isEqualTo(id);
      String second = only(get(c.stc.port(), ""), "x-request-id");
      assertThat(second).matches(GENERATED).isNotEqualTo(id);

      HttpResponse<String> log = c.http.send(HttpRequest.newBuilder(c.adminUri("/api/requests?limit=5"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(log.body()).contains("\"request_id\":\"" + id + "\"").contains("\"request_id\":\"" + second + "\"");
    }
  }

  @Test
  void aClientsOwnIdIsKeptWhenWellFormedAndReplacedWhenNot() throws Exception {
    try (RecordingBackend backend = new RecordingBackend(); TestCluster c = cluster(backend, cfg -> cfg)) {
      int port = c.stc.port();
      String uuid = "9b2f4c1e-7d3a-4e8b-a1c2-3f4e5d6c7b8a";
      assertThat(only(get(port, "X-Request-Id: " + uuid + "\r\n"), "x-request-id")).isEqualTo(uuid);
      assertThat(only(backend.requests.get(0), "x-request-id")).isEqualTo(uuid);
      // A name in the other spelling is the same field to a CGI backend: one ID reaches it.
      assertThat(only(get(port, "x_request_id: sneaky\r\nX-Request-Id: a.b:c/d+e=f_g\r\n"), "x-request-id"))
          .isEqualTo("a.b:c/d+e=f_g");
      assertThat(backend.requests.get(1)).doesNotContain("sneaky");
      for (String bad : List.of("has space", "quote\"d", "x".repeat(RequestIds.MAX_KEPT_LENGTH + 1), "caf\u00e9")) {
        String response = get(port, "X-Request-Id: " + bad + "\r\n");
        assertThat(only(response, "x-request-id")).as(bad).matches(GENERATED);
      }
      // Two IDs are two stories: neither is kept.
      assertThat(only(get(port, "X-Request-Id: one\r\nX-Request-Id: two\r\n"), "x-request-id")).matches(GENERATED);
      String last = backend.requests.get(backend.requests.size() - 1);
      assertThat(last).doesNotContain("one").doesNotContain("two");
    }
  }

  @Test
  void replaceAndTrustedKeepNoUntrustedClientsId() throws Exception {
    for (Incoming incoming : List.of(Incoming.REPLACE, Incoming.TRUSTED)) {
      try (RecordingBackend backend = new RecordingBackend();
          TestCluster c = cluster(backend, cfg -> cfg
              .withClientIp(new StcConfig.ClientIp(List.of(AddressRange.parse("10.0.0.0/8")), "X-Forwarded-For"))
              .withRequestId(new StcConfig.RequestId("X-Correlation-Id", incoming, true)))) {
        String response = get(c.stc.port(), "X-Correlation-Id: mine\r\n");
        assertThat(only(response, "x-correlation-id")).as(incoming.toString()).matches(GENERATED);
        assertThat(only(backend.requests.get(0), "x-correlation-id")).isEqualTo(only(response, "x-correlation-id"));
        assertThat(response.toLowerCase(Locale.ROOT)).doesNotContain("x-request-id");
      }
    }
    // The test's own 127.0.0.1 as the trusted proxy: its ID is kept.
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = cluster(backend, cfg -> cfg
            .withClientIp(new StcConfig.ClientIp(List.of(AddressRange.parse("127.0.0.0/8")), "X-Forwarded-For"))
            .withRequestId(new StcConfig.RequestId("X-Request-Id", Incoming.TRUSTED, true)))) {
      assertThat(only(get(c.stc.port(), "X-Request-Id: from-the-edge\r\n"), "x-request-id")).isEqualTo("from-the-edge");
    }
  }

  @Test
  void stcsOwnAnswersCarryTheIdToo() throws Exception {
    try (TestCluster c = cluster(null, cfg -> cfg)) {
      String response = get(c.stc.port(), "X-Request-Id: lost-one\r\n");
      assertThat(response).startsWith("HTTP/1.1 503");
      assertThat(only(response, "x-request-id")).isEqualTo("lost-one");
      String malformed = RawHttp.exchange(c.stc.port(), "GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(malformed).startsWith("HTTP/1.1 400");
      assertThat(only(malformed, "x-request-id")).matches(GENERATED);
    }
  }

  @Test
  void offSetsNothingAndPassesTheClientsHeaderOn() throws Exception {
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = cluster(backend, cfg -> cfg.withRequestId(new StcConfig.RequestId(null, Incoming.KEEP, false)))) {
      String response = get(c.stc.port(), "X-Request-Id: as sent\r\n");
      assertThat(response.toLowerCase(Locale.ROOT)).doesNotContain("x-request-id");
      assertThat(only(backend.requests.get(0), "x-request-id")).isEqualTo("as sent");
    }
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = cluster(backend, cfg -> cfg.withRequestId(new StcConfig.RequestId("X-Request-Id", Incoming.KEEP, false)))) {
      String response = get(c.stc.port(), "");
      assertThat(response.toLowerCase(Locale.ROOT)).as("response: false").doesNotContain("x-request-id");
      assertThat(only(backend.requests.get(0), "x-request-id")).matches(GENERATED);
    }
  }

  @Test
  void http2ClientsAndHttp2BackendsAlike() throws Exception {
    try (Http2TestServer backend = new Http2TestServer(100); TestCluster c = cluster(null, cfg -> cfg)) {
      c.stc.upstream().add("h2c", "127.0.0.1", backend.port(), 1, BackendState.UP, BackendProtocol.H2C);
      try (Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
        Http2TestClient.Response r = h2.get("/both-ways");
        assertThat(r.status()).isEqualTo(200);
        String id = r.headers().get("x-request-id").toString();
        assertThat(id).matches(GENERATED);
        assertThat(backend.requests.get(0).getAll("x-request-id")).extracting(CharSequence::toString).containsExactly(id);
      }
    }
  }
}
