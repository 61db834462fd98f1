package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RawResponses;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TestCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The request conformance corpus ({@code src/test/resources/conformance/requests.txt}): raw
 * requests, the statuses stc must answer, and the exact bytes a recording backend behind it may
 * receive, or that it receives nothing. See the file's header for its notation.
 */
class ConformanceCorpusTest {
  static final String CORPUS = "/conformance/requests.txt";
  static RecordingBackend backend;
  static TestCluster cluster;
  static final AtomicInteger sentinels = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    backend = new RecordingBackend();
    // HTTP/1 only: with h2c on, a connection that starts with the HTTP/2 preface speaks HTTP/2 (CleartextHttp2Test).
    cluster = TestCluster.of(0, c -> RawBackend.alone(c).withH2c(false).withTimeouts(c.timeouts().withHeader(Duration.ofSeconds(3))));
    cluster.stc.upstream().add("recorder", "127.0.0.1", backend.port(), 1, BackendState.UP);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
    backend.close();
  }

  /** One case of the corpus. */
  record Case(String name, int line, byte[] send, List<Integer> statuses, String backend) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> cases() throws IOException {
    return load().stream().map(c -> Arguments.of(c));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void stcAnswersAndForwardsExactlyThis(Case c) throws Exception {
    int before = backend.requests.size();
    int last = c.statuses.get(c.statuses.size() - 1);
    boolean error = last >= 400;
    boolean head = new String(c.send, StandardCharsets.ISO_8859_1).startsWith("HEAD ");
    RawResponses.Result r = RawResponses.exchange(cluster.stc.port(), c.send, c.statuses.size(), error, head);
    assertThat(r.statuses()).as("statuses answered (line %d), got:%n%s", c.line, r.raw()).isEqualTo(c.statuses);
    if (error) {
      assertThat(r.closed()).as("connection closed after the error (line %d)", c.line).isTrue();
    }
    // A request on a fresh connection marks where this case's bytes end at the backend.
    String sentinel = "/sentinel-" + sentinels.incrementAndGet();
    assertThat(cluster.get(sentinel).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10))
        .until(() -> backend.requests.stream().anyMatch(q -> q.startsWith("GET " + sentinel + " ")));
    List<String> all = new ArrayList<>(backend.requests);
    String got = String.join("", all.subList(before, all.size()).stream()
        .takeWhile(q -> !q.startsWith("GET " + sentinel + " ")).toList());
    // Each request's ID is new; that one is there, once, in its place, is what can be checked.
    got = got.replaceAll("\r\nx-request-id: [0-9a-f]{32}\r\n", "\r\nx-request-id: {id}\r\n");
    String expected = unescape(c.backend.replace("{backend}", "127.0.0.1:" + backend.port()));
    assertThat(escape(got)).as("bytes the backend received (line %d)", c.line).isEqualTo(escape(expected));
    assertThat(backend.violations).as("heads no HTTP/1.1 server should get").isEmpty();
  }

  // ---- the corpus notation ---------------------------------------------------------------------

  static List<Case> load() throws IOException {
    List<Case> cases = new ArrayList<>();
    String text;
    try (InputStream in = ConformanceCorpusTest.class.getResourceAsStream(CORPUS)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String name = null;
    String send = null;
    String expect = null;
    String received = null;
    int at = 0;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i <= lines.length; i++) {
      String l = i < lines.length ? lines[i] : "== end";
      if (l.startsWith("== ")) {
        if (name != null) {
          if (send == null || expect == null || received == null) {
            throw new IllegalStateException(CORPUS + ":" + at + ": case '" + name + "' needs send, expect and backend");
          }
          List<Integer> statuses = new ArrayList<>();
          for (String s : expect.trim().split("\\s+")) {
            statuses.add(Integer.parseInt(s));
          }
          cases.add(new Case(name, at, unescape(send).getBytes(StandardCharsets.ISO_8859_1), statuses,
              received.trim().equals("-") ? "" : received));
        }
        name = l.substring(3).trim();
        at = i + 1;
        send = expect = received = null;
      } else if (l.startsWith("send: ")) {
        send = l.substring(6);
      } else if (l.startsWith("expect: ")) {
        expect = l.substring(8);
      } else if (l.startsWith("backend: ")) {
        received = l.substring(9);
      } else if (!l.isBlank() && !l.startsWith("#")) {
        throw new IllegalStateException(CORPUS + ":" + (i + 1) + ": unexpected line: " + l);
      }
    }
    return cases;
  }

  private static final Pattern REPEAT = Pattern.compile("\\{(\\d+)\\*(.)\\}");
  private static final Pattern FORWARDED = Pattern.compile("\\{fwd:([^}]*)\\}");

  /**
   * \r \n \t \\ \xHH; {N*c} is c N times; {fwd:HOST} is the X-Forwarded lines stc adds (no
   * X-Forwarded-Host for an empty host) and the request ID ({id}: any new one); {backend} is the
   * recording backend's host:port.
   */
  static String unescape(String s) {
    Matcher f = FORWARDED.matcher(s);
    StringBuilder expanded = new StringBuilder();
    while (f.find()) {
      String host = f.group(1);
      String lines = "x-forwarded-for: 127.0.0.1\\r\\nx-forwarded-proto: http\\r\\n"
          + (host.isEmpty() ? "" : "x-forwarded-host: " + host + "\\r\\n") + "x-request-id: {id}\\r\\n";
      f.appendReplacement(expanded, Matcher.quoteReplacement(lines));
    }
    f.appendTail(expanded);
    Matcher m = REPEAT.matcher(expanded);
    StringBuilder repeated = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(repeated, Matcher.quoteReplacement(m.group(2).repeat(Integer.parseInt(m.group(1)))));
    }
    m.appendTail(repeated);
    String t = repeated.toString();
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c != '\\' || i + 1 == t.length()) {
        out.append(c);
        continue;
      }
      char e = t.charAt(++i);
      switch (e) {
        case 'r' -> out.append('\r');
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case '\\' -> out.append('\\');
        case 'x' -> {
          out.append((char) Integer.parseInt(t.substring(i + 1, i + 3), 16));
          i += 2;
        }
        default -> throw new IllegalArgumentException("unknown escape \\" + e + " in " + s);
      }
    }
    return out.toString();
  }

  /** Readable in a failure message: line ends and control bytes shown as escapes. */
  static String escape(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      switch (c) {
        case '\r' -> b.append("\\r");
        case '\n' -> b.append("\\n\n");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c >= 0x7f) {
            b.append(String.format("\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }
}
