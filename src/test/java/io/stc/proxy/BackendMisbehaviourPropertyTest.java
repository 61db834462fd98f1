package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestClient;
import io.stc.testing.RawBackend;
import io.stc.testing.ScriptedBackend;
import io.stc.testing.ScriptedBackend.After;
import io.stc.testing.ScriptedBackend.Script;
import io.stc.testing.StrictResponses;
import io.stc.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Backends that answer well, oddly or wrongly (every framing, interim answers, bodies cut off,
 * bytes past the end, broken heads, closes, silence, answers before the upload is read), answers
 * written in random pieces, to one or two pipelined client requests of every shape. Whatever the
 * backend does, the client's bytes parse strictly as one response per request; a complete answer
 * from the backend arrives byte for byte as the backend meant it, and nothing else is ever passed
 * off as one; a broken one ends the connection inside its body; nothing is left in flight. The
 * same for HTTP/2 clients, all of a try's streams at once on one connection: a broken answer
 * resets its stream, and the connection lives on.
 */
class BackendMisbehaviourPropertyTest {
  /** What the backend does with one request. */
  enum Kind {
    LENGTH, CHUNKED, CODED_CHUNKED, CLOSE_DELIMITED, INTERIM, NO_CONTENT, NOT_MODIFIED, EARLY,
    TRUNCATED_LENGTH, TRUNCATED_CHUNKED, EXTRA_BYTES, CODED_NOT_CHUNKED,
    BAD_STATUS_LINE, BAD_FIELD, TWO_LENGTHS, LENGTH_AND_CHUNKED, NEGATIVE_LENGTH, BAD_CHUNK_SIZE, CHUNKED_NOT_LAST,
    SWITCHING, CLOSE_AT_ONCE, SILENT;

    boolean answersWhole(Method m, boolean http2) {
      if (this == CODED_CHUNKED) {
        // A transfer coding only an HTTP/1.1 client can be told of (a HEAD's answer has no body to code).
        return m == Method.HEAD || (!http2 && m != Method.GET_HTTP10);
      }
      return this == LENGTH || this == CHUNKED || this == CLOSE_DELIMITED || this == INTERIM
          || this == NO_CONTENT || this == NOT_MODIFIED || this == EARLY || this == EXTRA_BYTES
          // a HEAD's answer has no body to break
          || (m == Method.HEAD && breaksOffBody());
    }

    /** Either way is right: passed on whole, or refused. */
    boolean mayGoEitherWay() {
      // A coding other than chunked last: delimited by the close (RFC 9112, 6.3), or refused. Both
      // framings at once: chunked wins and the length goes (RFC 9112, 6.3, HAProxy), or refused (nginx).
      return this == CODED_NOT_CHUNKED || this == LENGTH_AND_CHUNKED;
    }

    /** The head is sound and the body breaks: the proxy may have passed the head on before it knew. */
    boolean breaksOffBody() {
      return this == TRUNCATED_LENGTH || this == TRUNCATED_CHUNKED || this == BAD_CHUNK_SIZE;
    }
  }

  enum Method { GET, GET_HTTP10, HEAD, POST_LENGTH, POST_CHUNKED }

  /** One request and what its backend does; {@code cuts} split the answer into pieces. */
  record Step(Method method, Kind kind, String body, List<Integer> cuts) {}

  private static final AtomicLong IDS = new AtomicLong();
  private static ScriptedBackend backend;
  private static TestCluster cluster;
  private static Backend target;

  @BeforeContainer
  static void start() throws Exception {
    backend = new ScriptedBackend();
    cluster = TestCluster.of(0, c -> RawBackend.alone(c).withTimeouts(
        c.timeouts().withResponse(Duration.ofMillis(600)).withHeader(Duration.ofSeconds(5))));
    target = cluster.stc.upstream().add("scripted", "127.0.0.1", backend.port(), 1, BackendState.UP);
  }

  @AfterContainer
  static void stop() throws Exception {
    cluster.close();
    backend.close();
  }

  @Property(tries = 300)
  void whateverTheBackendDoesTheClientGetsWellFramedAnswersAndOnlyTheBackendsOwn(@ForAll("exchanges") List<Step> steps)
      throws Exception {
    List<String> ids = new ArrayList<>();
    ByteArrayOutputStream requests = new ByteArrayOutputStream();
    List<Boolean> heads = new ArrayList<>();
    List<Boolean> http10 = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      String id = "s" + IDS.incrementAndGet();
      ids.add(id);
      backend.script(id, script(s, id));
      requests.write(request(s, id, i == steps.size() - 1));
      heads.add(s.method() == Method.HEAD);
      http10.add(s.method() == Method.GET_HTTP10);
    }
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    boolean reset;
    try (Socket c = new Socket("127.0.0.1", cluster.stc.port())) {
      c.setSoTimeout(15_000);
      c.getOutputStream().write(requests.toByteArray());
      reset = !readToClose(c.getInputStream(), received);
    }
    byte[] got = received.toByteArray();
    StrictResponses.Result r = StrictResponses.parse(got, heads, http10);
    String all = new String(got, StandardCharsets.ISO_8859_1);
    assertThat(r.violation()).as("framing of%n%s", all).isNull();

    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      String id = ids.get(i);
      assertThat(r.responses()).as("no answer at all to %s", steps).isNotEmpty();
      if (i >= r.responses().size()) {
        // Only a response the client was told would end the connection may leave later ones unanswered.
        StrictResponses.Response before = r.responses().get(r.responses().size() - 1);
        // (An HTTP/1.0 request that did not ask for keep-alive ends its connection unsaid.)
        assertThat(!before.complete() || "close".equalsIgnoreCase(before.field("connection"))
                || steps.get(r.responses().size() - 1).method() == Method.GET_HTTP10)
            .as("request %d of %s unanswered after%n%s", i, steps, all).isTrue();
        break;
      }
      StrictResponses.Response resp = r.responses().get(i);
      // A body delimited by the close is whole only if the close was clean: a reset says it was cut.
      boolean complete = resp.complete() && !(reset && i == r.responses().size() - 1
          && resp.field("content-length") == null && resp.field("transfer-encoding") == null);
      if (id.equals(resp.field("x-script")) && complete) {
        // Passed on as the backend's answer: it must be that answer, whole.
        assertThat(s.kind().answersWhole(s.method(), false) || s.kind().mayGoEitherWay()).as("%s passed on as whole in%n%s", s, all).isTrue();
        assertThat(resp.status()).isEqualTo(expectedStatus(s.kind()));
        assertThat(resp.bodyText()).as("body of %s in%n%s", s, all).isEqualTo(expectedBody(s));
      } else if (!complete) {
        assertThat(s.kind().breaksOffBody() && s.method() != Method.HEAD).as("%s cut off in%n%s", s, all).isTrue();
        assertThat(id).isEqualTo(resp.field("x-script"));
      } else {
        // The proxy's own answer. A POST may have gone out on the connection the backend closed
        // unannounced after its answer: it may have been acted on, so it is not sent again.
        boolean onAClosedConnection = i > 0 && closesUnannounced(steps.get(i - 1))
            && (s.method() == Method.POST_LENGTH || s.method() == Method.POST_CHUNKED);
        assertThat(s.kind().answersWhole(s.method(), false) && !s.kind().mayGoEitherWay() && !onAClosedConnection)
            .as("%s answered by stc (%d) in%n%s", s, resp.status(), all).isFalse();
        assertThat(resp.status()).as("%s in%n%s", s, all)
            .isIn(proxyStatuses(s, onAClosedConnection));
      }
    }
    await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(10))
        .until(() -> cluster.stc.proxy().stats().active() == 0 && target.stats().inFlight() == 0);
    assertThat(backend.received).as("requests no client sent").doesNotContain("?");
  }

  /** The statuses of stc's own answers to a step: 504 for silence, 502 for the rest, and for whatever met a closed connection. */
  private static Set<Integer> proxyStatuses(Step s, boolean onAClosedConnection) {
    if (s.kind() != Kind.SILENT) {
      return Set.of(502);
    }
    return onAClosedConnection ? Set.of(502, 504) : Set.of(504);
  }

  /** Whether the backend closes the connection after a whole answer that did not say it would (no Connection: close). */
  private static boolean closesUnannounced(Step s) {
    return s.kind() == Kind.EARLY || (s.method() == Method.HEAD && (s.kind().breaksOffBody()
        || s.kind() == Kind.CLOSE_DELIMITED || s.kind() == Kind.CODED_NOT_CHUNKED));
  }

  @Property(tries = 150)
  void http2ClientsToo(@ForAll("exchanges") List<Step> steps) throws Exception {
    try (Http2TestClient client = new Http2TestClient(cluster.stc.port())) {
      List<String> ids = new ArrayList<>();
      List<CompletableFuture<Http2TestClient.Response>> answers = new ArrayList<>();
      for (Step s : steps) {
        String id = "s" + IDS.incrementAndGet();
        ids.add(id);
        backend.script(id, script(s, id));
      }
      // All streams at once: each takes its own backend connection, or one another left.
      for (int i = 0; i < steps.size(); i++) {
        Step s = steps.get(i);
        boolean post = s.method() == Method.POST_LENGTH || s.method() == Method.POST_CHUNKED;
        String method = post ? "POST" : s.method() == Method.GET_HTTP10 ? "GET" : s.method().name();
        answers.add(client.send(method, "/" + ids.get(i), post ? "hello world".getBytes(StandardCharsets.US_ASCII) : null, null));
      }
      boolean someCloseUnannounced = steps.stream().anyMatch(BackendMisbehaviourPropertyTest::closesUnannounced);
      for (int i = 0; i < steps.size(); i++) {
        Step s = steps.get(i);
        Http2TestClient.Response resp;
        try {
          resp = answers.get(i).get(15, TimeUnit.SECONDS);
        } catch (ExecutionException reset) {
          // A stream reset: only for an answer whose head went out before its body broke.
          assertThat(s.kind().breaksOffBody() && s.method() != Method.HEAD).as("%s: %s", s, reset.getCause()).isTrue();
          continue;
        }
        String from = resp.headers().get("x-script") == null ? null : resp.headers().get("x-script").toString();
        if (ids.get(i).equals(from)) {
          assertThat(s.kind().answersWhole(s.method(), true) || s.kind().mayGoEitherWay()).as("%s passed on whole", s).isTrue();
          assertThat(resp.status()).as("%s", s).isEqualTo(expectedStatus(s.kind()));
          assertThat(new String(resp.body(), StandardCharsets.ISO_8859_1)).as("body of %s", s).isEqualTo(expectedBody(s));
        } else {
          boolean onAClosedConnection = someCloseUnannounced && (s.method() == Method.POST_LENGTH || s.method() == Method.POST_CHUNKED);
          assertThat(s.kind().answersWhole(s.method(), true) && !s.kind().mayGoEitherWay() && !onAClosedConnection)
              .as("%s answered by stc (%d)", s, resp.status()).isFalse();
          assertThat(resp.status()).as("%s", s).isIn(proxyStatuses(s, onAClosedConnection));
          if (s.method() == Method.HEAD) {
            assertThat(resp.body()).as("an answer to a HEAD").isEmpty();
          }
        }
      }
      assertThat(client.isOpen()).as("the connection outlives whatever its backends did").isTrue();
    }
    await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(10))
        .until(() -> cluster.stc.proxy().stats().active() == 0 && target.stats().inFlight() == 0);
  }

  private static int expectedStatus(Kind k) {
    return k == Kind.NO_CONTENT ? 204 : k == Kind.NOT_MODIFIED ? 304 : 200;
  }

  private static String expectedBody(Step s) {
    if (s.method() == Method.HEAD || s.kind() == Kind.NO_CONTENT || s.kind() == Kind.NOT_MODIFIED) {
      return "";
    }
    return s.body();
  }

  private static byte[] request(Step s, String id, boolean last) {
    String close = last ? "Connection: close\r\n" : "";
    String head = switch (s.method()) {
      case GET -> "GET /" + id + " HTTP/1.1\r\nHost: a\r\nX-Script: " + id + "\r\n" + close + "\r\n";
      case GET_HTTP10 -> "GET /" + id + " HTTP/1.0\r\nX-Script: " + id + "\r\n\r\n";
      case HEAD -> "HEAD /" + id + " HTTP/1.1\r\nHost: a\r\nX-Script: " + id + "\r\n" + close + "\r\n";
      case POST_LENGTH -> "POST /" + id + " HTTP/1.1\r\nHost: a\r\nX-Script: " + id + "\r\nContent-Length: 11\r\n"
          + close + "\r\nhello world";
      case POST_CHUNKED -> "POST /" + id + " HTTP/1.1\r\nHost: a\r\nX-Script: " + id + "\r\nTransfer-Encoding: chunked\r\n"
          + close + "\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    };
    return head.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** The backend's bytes for a step, cut into pieces where the step says. */
  private static Script script(Step s, String id) {
    boolean head = s.method() == Method.HEAD;
    String b = s.body();
    String tag = "X-Script: " + id + "\r\n";
    String lengthBody = head ? "" : b;
    String bytes;
    After after = After.KEEP;
    boolean readBody = true;
    switch (s.kind()) {
      case LENGTH -> bytes = "HTTP/1.1 200 OK\r\n" + tag + "Content-Length: " + b.length() + "\r\n\r\n" + lengthBody;
      case CHUNKED -> bytes = "HTTP/1.1 200 OK\r\n" + tag + "Transfer-Encoding: chunked\r\n\r\n"
          + (head ? "" : chunks(b) + "0\r\nX-Trailer: t\r\n\r\n");
      case CLOSE_DELIMITED -> {
        bytes = "HTTP/1.1 200 OK\r\n" + tag + "\r\n" + lengthBody;
        after = After.CLOSE;
      }
      case INTERIM -> bytes = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
          + "HTTP/1.1 200 OK\r\n" + tag + "Content-Length: " + b.length() + "\r\n\r\n" + lengthBody;
      case NO_CONTENT -> bytes = "HTTP/1.1 204 No Content\r\n" + tag + "\r\n";
      case NOT_MODIFIED -> bytes = "HTTP/1.1 304 Not Modified\r\n" + tag + "Content-Length: " + b.length() + "\r\n\r\n";
      case EARLY -> {
        bytes = "HTTP/1.1 200 OK\r\n" + tag + "Content-Length: " + b.length() + "\r\n\r\n" + lengthBody;
        readBody = false;
      }
      case TRUNCATED_LENGTH -> {
        bytes = "HTTP/1.1 200 OK\r\n" + tag + "Content-Length: " + (b.length() + 10) + "\r\n\r\n" + (head ? "" : b);
        after = After.CLOSE;
      }
      case TRUNCATED_CHUNKED -> {
        bytes = "HTTP/1.1 200 OK\r\n" + tag + "Transfer-Encoding: chunked\r\n\r\n" + (head ? "" : chunks(b) + "a\r\nabc");
        after = After.CLOSE;
      }
      case EXTRA_BYTES -> bytes = "HTTP/1.1 200 OK\r\n" + tag + "Content-Length: " + b.length() + "\r\n\r\n" + lengthBody
          + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!";
      case BAD_STATUS_LINE -> bytes = "HTTP/1.1 2OO OK\r\n" + tag + "Content-Length: " + b.length() + "\r\n\r\n" + lengthBody;
      case BAD_FIELD -> bytes = "HTTP/1.1 200 OK\r\n" + tag + "Bad Field: x\r\nContent-Length: " + b.length() + "\r\n\r\n"
          + lengthBody;
      case TWO_LENGTHS -> bytes = "HTTP/1.1 200 OK\r\n" + tag + "Content-Length: " + b.length() + "\r\nContent-Length: "
          + (b.length() + 1) + "\r\n\r\n" + lengthBody;
      case LENGTH_AND_CHUNKED -> bytes = "HTTP/1.1 200 OK\r\n" + tag + "Content-Length: " + b.length()
          + "\r\nTransfer-Encoding: chunked\r\n\r\n" + (head ? "" : chunks(b) + "0\r\n\r\n");
      case CODED_CHUNKED -> bytes = "HTTP/1.1 200 OK\r\n" + tag + "Transfer-Encoding: gzip, chunked\r\n\r\n"
          + (head ? "" : chunks(b) + "0\r\n\r\n");
      case CODED_NOT_CHUNKED -> {
        bytes = "HTTP/1.1 200 OK\r\n" + tag + "Transfer-Encoding: gzip\r\n\r\n" + lengthBody;
        after = After.CLOSE;
      }
      case CHUNKED_NOT_LAST -> {
        bytes = "HTTP/1.1 200 OK\r\n" + tag + "Transfer-Encoding: chunked, gzip\r\n\r\n" + (head ? "" : chunks(b) + "0\r\n\r\n");
        after = After.CLOSE;
      }
      case NEGATIVE_LENGTH -> bytes = "HTTP/1.1 200 OK\r\n" + tag + "Content-Length: -1\r\n\r\n" + lengthBody;
      case BAD_CHUNK_SIZE -> {
        bytes = "HTTP/1.1 200 OK\r\n" + tag + "Transfer-Encoding: chunked\r\n\r\n" + (head ? "" : "zz\r\n" + b + "\r\n0\r\n\r\n");
        after = After.CLOSE;
      }
      case SWITCHING -> bytes = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
      case CLOSE_AT_ONCE -> {
        bytes = "";
        after = After.CLOSE;
      }
      case SILENT -> {
        bytes = "";
        after = After.HOLD;
      }
      default -> throw new IllegalStateException();
    }
    return new Script(pieces(bytes.getBytes(StandardCharsets.ISO_8859_1), s.cuts()), readBody, after);
  }

  private static String chunks(String b) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < b.length(); i += 7) {
      String c = b.substring(i, Math.min(b.length(), i + 7));
      out.append(Integer.toHexString(c.length())).append(i == 0 ? ";ext=1" : "").append("\r\n").append(c).append("\r\n");
    }
    return out.toString();
  }

  private static List<byte[]> pieces(byte[] all, List<Integer> cuts) {
    List<byte[]> out = new ArrayList<>();
    int from = 0;
    for (int cut : cuts.stream().map(c -> all.length == 0 ? 0 : c % all.length).sorted().distinct().toList()) {
      if (cut > from) {
        out.add(java.util.Arrays.copyOfRange(all, from, cut));
        from = cut;
      }
    }
    out.add(java.util.Arrays.copyOfRange(all, from, all.length));
    return out;
  }

  /** Reads into {@code out} until the server closes; false when it reset the connection instead. */
  private static boolean readToClose(InputStream in, ByteArrayOutputStream out) throws java.io.IOException {
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
      return true;
    } catch (java.net.SocketException reset) {
      // what came before the reset is what the client has
      return false;
    }
  }

  @Provide
  Arbitrary<List<Step>> exchanges() {
    Arbitrary<String> bodies = Arbitraries.oneOf(
        Arbitraries.strings().withChars("abcxyz0123 \r\n:").ofMinLength(1).ofMaxLength(40),
        Arbitraries.of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "0\r\n\r\n", "\r\n\r\n"));
    Arbitrary<Step> step = Combinators.combine(
        Arbitraries.of(Method.class),
        Arbitraries.of(Kind.class),
        bodies,
        Arbitraries.integers().between(0, 400).list().ofMaxSize(3))
        .as(Step::new)
        .filter(s -> s.kind() != Kind.EARLY || s.method() == Method.POST_LENGTH || s.method() == Method.POST_CHUNKED);
    return step.list().ofMinSize(1).ofMaxSize(2);
  }
}
