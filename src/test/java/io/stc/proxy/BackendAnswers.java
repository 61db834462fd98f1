package io.stc.proxy;

import io.stc.testing.ScriptedBackend.After;
import io.stc.testing.ScriptedBackend.Script;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * The answers a scripted backend gives in the misbehaviour properties (well-formed, odd and
 * broken), the requests that ask for them, and what a client may see come back for each.
 */
final class BackendAnswers {
  private BackendAnswers() {}

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

  /** The statuses of stc's own answers to a step: 504 for silence, 502 for the rest, and for whatever met a closed connection. */
  static Set<Integer> proxyStatuses(Step s, boolean onAClosedConnection) {
    if (s.kind() != Kind.SILENT) {
      return Set.of(502);
    }
    return onAClosedConnection ? Set.of(502, 504) : Set.of(504);
  }

  /** Whether the backend closes the connection after a whole answer that did not say it would (no Connection: close). */
  static boolean closesUnannounced(Step s) {
    return s.kind() == Kind.EARLY || (s.method() == Method.HEAD && (s.kind().breaksOffBody()
        || s.kind() == Kind.CLOSE_DELIMITED || s.kind() == Kind.CODED_NOT_CHUNKED));
  }

  static int expectedStatus(Kind k) {
    return k == Kind.NO_CONTENT ? 204 : k == Kind.NOT_MODIFIED ? 304 : 200;
  }

  static String expectedBody(Step s) {
    if (s.method() == Method.HEAD || s.kind() == Kind.NO_CONTENT || s.kind() == Kind.NOT_MODIFIED) {
      return "";
    }
    return s.body();
  }

  static byte[] request(Step s, String id, boolean last) {
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
  static Script script(Step s, String id) {
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
          + EXTRA;
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
    List<Integer> cuts = s.cuts();
    if (s.kind() == Kind.EXTRA_BYTES) {
      // The extra bytes go out with the end of the answer, never in a later write: bytes that
      // arrive after stc has handed the connection to the next request read as its answer, to
      // stc as to any client of that backend (the race of a backend that talks unasked), so only
      // extra bytes stc has in hand with the answer say anything about stc.
      int total = bytes.length();
      int answer = total - EXTRA.length();
      cuts = cuts.stream().filter(c -> c % total < answer).toList();
    }
    return new Script(pieces(bytes.getBytes(StandardCharsets.ISO_8859_1), cuts), readBody, after);
  }

  /** What an EXTRA_BYTES script sends after its answer: a second answer nobody asked for. */
  private static final String EXTRA = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!";

  static String chunks(String b) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < b.length(); i += 7) {
      String c = b.substring(i, Math.min(b.length(), i + 7));
      out.append(Integer.toHexString(c.length())).append(i == 0 ? ";ext=1" : "").append("\r\n").append(c).append("\r\n");
    }
    return out.toString();
  }

  static List<byte[]> pieces(byte[] all, List<Integer> cuts) {
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

  /** One or two requests and what the backend does with each. */
  static Arbitrary<List<Step>> exchanges() {
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
