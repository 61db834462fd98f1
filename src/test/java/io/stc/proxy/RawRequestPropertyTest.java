package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RawResponses;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random raw request heads (hostile framing, odd grammar, smuggled requests in bodies) through the
 * real proxy to a recording backend, each followed on the same connection by a plain request that
 * asks to close. Whatever the head: no 500 or 502, every request the backend receives is one whose
 * 200 the client got (so no request ever arrived that the client did not send as one), and stc
 * keeps serving.
 */
class RawRequestPropertyTest {
  private static final String EOL = "\r\n";
  private static final String FOLLOW_UP = "GET /follow-up HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  private static final Set<Integer> ALLOWED = Set.of(100, 200, 400, 408, 413, 414, 417, 431, 501, 505);

  private static RecordingBackend backend;
  private static TestCluster cluster;

  @BeforeContainer
  static void start() throws Exception {
    backend = new RecordingBackend();
    cluster = TestCluster.of(0, c -> RawBackend.alone(c).withTimeouts(
        c.timeouts().withHeader(Duration.ofSeconds(1)).withBody(Duration.ofSeconds(1))));
    cluster.stc.upstream().add("recorder", "127.0.0.1", backend.port(), 1, BackendState.UP);
  }

  @AfterContainer
  static void stop() throws Exception {
    cluster.close();
    backend.close();
  }

  @Property(tries = 400)
  void neverA500NeverAnUnsentRequestAtTheBackend(@ForAll("requests") String request) throws Exception {
    int before = backend.requests.size();
    byte[] bytes = (request + FOLLOW_UP).getBytes(StandardCharsets.ISO_8859_1);
    RawResponses.Result r = RawResponses.exchange(cluster.stc.port(), bytes, 10, true, false);
    assertThat(r.statuses()).as("answers to %s%nwere:%n%s", escape(request), r.raw()).allMatch(ALLOWED::contains);
    long oks = r.statuses().stream().filter(s -> s == 200).count();
    // The backend answers every request it gets with a 200 that stc passes on: one each, or a request the client never sent.
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(backend.requests.size() - before)
            .as("requests at the backend for %s: %s", escape(request), backend.requests.subList(before, backend.requests.size()))
            .isEqualTo((int) oks));
    assertThat(backend.violations).as("heads no HTTP/1.1 server should get").isEmpty();
    assertThat(cluster.get("/still-serving").statusCode()).isEqualTo(200);
  }

  @Provide
  Arbitrary<String> requests() {
    return Arbitraries.frequencyOf(Tuple.of(1, anyRequest()), Tuple.of(1, smuggling()));
  }

  /**
   * The classic smuggling shapes: a POST with one to three framing fields drawn from their
   * obfuscations, and a body that hides a second request, with a Content-Length that counts
   * all, some or none of it.
   */
  private Arbitrary<String> smuggling() {
    Arbitrary<String> framing = Arbitraries.of(
        "Content-Length: %d", "Content-Length: %d", "Content-length:%d", "Content-Length: %d, %d", "Content-Length : %d",
        "Transfer-Encoding: chunked", "Transfer-Encoding: chunked", "Transfer-Encoding: xchunked",
        "Transfer-Encoding : chunked", "Transfer-Encoding:\tchunked", " Transfer-Encoding: chunked",
        "Transfer-Encoding: chunked, identity", "Transfer-Encoding: identity, chunked", "Transfer-Encoding:\u000bchunked",
        "X: y\nTransfer-Encoding: chunked", "Transfer-Encoding\n : chunked", "Transfer-Encoding: \"chunked\"",
        "Connection: Content-Length", "Connection: Transfer-Encoding", "Connection: close, Content-Length",
        "Connection: Host", "Expect: 100-continue");
    Arbitrary<String> hidden = Arbitraries.of(
        "GET /smuggled HTTP/1.1\r\nHost: e\r\n\r\n",
        "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: e\r\n\r\n",
        "5\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: e\r\n\r\n",
        "2e\r\nGET /smuggled HTTP/1.1\r\nHost: e\r\nX: \r\n\r\n\r\n0\r\n\r\n",
        "1;\nx\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: e\r\n\r\n");
    Arbitrary<Integer> counted = Arbitraries.integers().between(0, 100);
    return Combinators.combine(framing.list().ofMinSize(1).ofMaxSize(3), hidden, counted)
        .as((fs, body, percent) -> {
          int length = body.length() * percent / 100;
          StringBuilder r = new StringBuilder("POST /attacker HTTP/1.1\r\nHost: a\r\n");
          for (String f : fs) {
            r.append(String.format(f, length, length)).append(EOL);
          }
          return r.append(EOL).append(body).toString();
        });
  }

  private Arbitrary<String> anyRequest() {
    Arbitrary<String> method = Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.of("GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")),
            Tuple.of(1, Arbitraries.of("get", "G\u0000T", "GE T", "CONNECT", "", "POST\u00ff", "PRI")));
    Arbitrary<String> target = Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.of("/", "/a?b=c", "/x/y")),
            Tuple.of(1, Arbitraries.of("*", "http://h.example/p", "http://u@h/", "h.example:80", "/a\u0000b", "/a b", "/\u00ff", "/#f",
            "/a\rb", "/a\tb", "index", "")),
            Tuple.of(1, Arbitraries.strings().withCharRange('\u0000', '\u00ff').ofMaxLength(12).map(s -> "/" + s)));
    Arbitrary<String> version = Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.just("HTTP/1.1")),
            Tuple.of(1, Arbitraries.of("HTTP/1.0", "HTTP/0.9", "HTTP/2.0", "http/1.1", "HTTP/1.1 ", "HTTP/1", "HTTP/1.10", "")));
    Arbitrary<String> sep = Arbitraries.frequencyOf(
            Tuple.of(10, Arbitraries.just(" ")),
            Tuple.of(1, Arbitraries.of("\t", "  ", "\u000b")));
    Arbitrary<String> eol = Arbitraries.frequencyOf(
            Tuple.of(12, Arbitraries.just(EOL)),
            Tuple.of(1, Arbitraries.of("\n", "\r", "\r\r\n")));
    Arbitrary<String> field = Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.just("Host: a")),
            Tuple.of(1, Arbitraries.of("host: a", "Host: a b", "Host: u@a", "Host:", "Host: a, b")),
            Tuple.of(3, Arbitraries.integers().between(0, 40).map(n -> "Content-Length: " + n)),
            Tuple.of(1, Arbitraries.of("Content-Length: 5, 5", "Content-Length: -1", "Content-Length: +5", "Content-Length: 0x5",
            "Content-Length:  5 ", "Content-Length : 5", "Content-Length: 99999999999999999999")),
            Tuple.of(3, Arbitraries.of("Transfer-Encoding: chunked")),
            Tuple.of(1, Arbitraries.of("Transfer-Encoding: Chunked", "Transfer-Encoding: chunked, gzip", "Transfer-Encoding: gzip, chunked",
            "Transfer-Encoding: xchunked", "Transfer-Encoding:\tchunked", "Transfer-Encoding: chunked\u000b",
            "Transfer-Encoding : chunked", " Transfer-Encoding: chunked", "Transfer-Encoding: \"chunked\"",
            "Transfer-Encoding: identity")),
            Tuple.of(1, Arbitraries.of("Connection: close", "Connection: keep-alive", "Connection: Content-Length",
            "Connection: Transfer-Encoding", "Connection: Host", "Connection: X-A", "Connection: upgrade",
            "Upgrade: h2c", "Upgrade: websocket", "Expect: 100-continue", "Expect: nope", "X-A: 1", "TE: trailers",
            "Trailer: X-T", "Keep-Alive: 5")),
            Tuple.of(1, Arbitraries.strings().withCharRange('\u0000', '\u00ff').ofMaxLength(10).map(v -> "X-R: " + v)),
            Tuple.of(1, Arbitraries.strings().withCharRange('\u0000', '\u00ff').ofMinLength(1).ofMaxLength(6).map(n -> n + ": v")),
            Tuple.of(1, Arbitraries.of(" folded", "\tfolded", "no colon", ": empty name")));
    Arbitrary<List<String>> fields = field.list().ofMaxSize(6);
    Arbitrary<String> body = Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.just("")),
            Tuple.of(1, Arbitraries.of("hello", "5\r\nhello\r\n0\r\n\r\n", "0\r\n\r\n", "5;x=y\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
            "3\r\nhello\r\n0\r\n\r\n", "zz\r\nhello\r\n0\r\n\r\n", "5\nhello\r\n0\r\n\r\n",
            "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: e\r\n\r\n", "GET /smuggled HTTP/1.1\r\nHost: e\r\n\r\n",
            "5\r\nhello\r\n0\r\n\r\nPOST /s HTTP/1.1\r\nHost: e\r\nContent-Length: 3\r\n\r\nabc")));
    return Combinators.combine(method, sep, target, version, eol, fields, body)
        .as((m, s, t, v, e, fs, b) -> {
          StringBuilder r = new StringBuilder(m).append(s).append(t).append(v.isEmpty() ? "" : " " + v).append(e);
          for (String f : fs) {
            r.append(f).append(e);
          }
          return r.append(e).append(b).toString();
        });
  }

  private static String escape(String s) {
    return ConformanceCorpusTest.escape(s).replace("\n", "");
  }
}
