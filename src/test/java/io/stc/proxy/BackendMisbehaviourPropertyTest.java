package io.stc.proxy;

import static io.stc.proxy.BackendAnswers.closesUnannounced;
import static io.stc.proxy.BackendAnswers.expectedBody;
import static io.stc.proxy.BackendAnswers.expectedStatus;
import static io.stc.proxy.BackendAnswers.proxyStatuses;
import static io.stc.proxy.BackendAnswers.request;
import static io.stc.proxy.BackendAnswers.script;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http2.Http2Error;
import io.stc.proxy.BackendAnswers.Method;
import io.stc.proxy.BackendAnswers.Step;
import io.stc.testing.Http2TestClient;
import io.stc.testing.StrictResponses;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitrary;
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
  private static final AtomicLong IDS = new AtomicLong();
  private static ScriptedProxy proxy;

  @BeforeContainer
  static void start() throws Exception {
    proxy = new ScriptedProxy();
  }

  @AfterContainer
  static void stop() throws Exception {
    proxy.close();
  }

  @Property(tries = 300)
  void whateverTheBackendDoesTheClientGetsWellFramedAnswersAndOnlyTheBackendsOwn(@ForAll("exchanges") List<Step> steps)
      throws Exception {
    proxy.freshPool();
    List<String> ids = new ArrayList<>();
    ByteArrayOutputStream requests = new ByteArrayOutputStream();
    List<Boolean> heads = new ArrayList<>();
    List<Boolean> http10 = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      String id = "s" + IDS.incrementAndGet();
      ids.add(id);
      proxy.backend.script(id, script(s, id));
      requests.write(request(s, id, i == steps.size() - 1));
      heads.add(s.method() == Method.HEAD);
      http10.add(s.method() == Method.GET_HTTP10);
    }
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    boolean reset;
    try (Socket c = new Socket("127.0.0.1", proxy.port())) {
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
        .until(() -> proxy.cluster.stc.proxy().stats().active() == 0 && proxy.target.stats().inFlight() == 0);
    assertThat(proxy.backend.received).as("requests no client sent").doesNotContain("?");
  }

  @Property(tries = 150)
  void http2ClientsToo(@ForAll("exchanges") List<Step> steps) throws Exception {
    proxy.freshPool();
    try (Http2TestClient client = new Http2TestClient(proxy.port())) {
      List<String> ids = new ArrayList<>();
      List<CompletableFuture<Http2TestClient.Response>> answers = new ArrayList<>();
      for (Step s : steps) {
        String id = "s" + IDS.incrementAndGet();
        ids.add(id);
        proxy.backend.script(id, script(s, id));
      }
      // All streams at once: each takes its own backend connection, or one another left.
      for (int i = 0; i < steps.size(); i++) {
        Step s = steps.get(i);
        boolean post = s.method() == Method.POST_LENGTH || s.method() == Method.POST_CHUNKED;
        String method = post ? "POST" : s.method() == Method.GET_HTTP10 ? "GET" : s.method().name();
        answers.add(client.send(method, "/" + ids.get(i), post ? "hello world".getBytes(StandardCharsets.US_ASCII) : null, null));
      }
      boolean someCloseUnannounced = steps.stream().anyMatch(BackendAnswers::closesUnannounced);
      for (int i = 0; i < steps.size(); i++) {
        Step s = steps.get(i);
        Http2TestClient.Response resp;
        try {
          resp = answers.get(i).get(15, TimeUnit.SECONDS);
        } catch (ExecutionException reset) {
          // A stream reset: only for an answer whose head went out before its body broke.
          assertThat(s.kind().breaksOffBody() && s.method() != Method.HEAD).as("%s: %s", s, reset.getCause()).isTrue();
          // INTERNAL_ERROR: a failure, which a client cannot take for a body that merely ended (with
          // CANCEL, "no longer needed", Node's client ends the cut body as if it were whole).
          assertThat(reset.getCause()).as("%s", s).hasMessage("stream reset: " + Http2Error.INTERNAL_ERROR.code());
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
        .until(() -> proxy.cluster.stc.proxy().stats().active() == 0 && proxy.target.stats().inFlight() == 0);
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
    return BackendAnswers.exchanges();
  }
}
