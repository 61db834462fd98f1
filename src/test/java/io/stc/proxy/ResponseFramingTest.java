package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RawHttp;
import io.stc.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Bodies cross the proxy framed as each side can take them: chunks passed on, re-chunked or de-chunked. */
class ResponseFramingTest {
  private static final String CHUNKED_RESPONSE =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n";

  private static String body(String response) {
    return response.substring(response.indexOf("\r\n\r\n") + 4);
  }

  /** Sends {@code request} through a proxy whose only backend is {@code backend}; returns all that came back. */
  private static String throughProxy(RawBackend backend, String request) throws Exception {
    try (TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      c.stc.upstream().add("raw", "127.0.0.1", backend.port(), 1, BackendState.UP);
      return RawHttp.exchange(c.stc.port(), request);
    }
  }

  private static String head(String response) {
    return response.substring(0, response.indexOf("\r\n\r\n") + 2).toLowerCase();
  }

  @Test
  void chunksReachAnHttp11ClientExactlyAsTheBackendFramedThem() throws Exception {
    try (RawBackend backend = new RawBackend(req -> CHUNKED_RESPONSE)) {
      String r = throughProxy(backend, "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(r).startsWith("HTTP/1.1 200 OK\r\n");
      assertThat(head(r)).contains("transfer-encoding: chunked\r\n", "x-kept: yes\r\n", "x-served-by: raw\r\n", "connection: close\r\n");
      assertThat(body(r)).isEqualTo("3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n");
    }
  }

  @Test
  void aMalformedChunkInTheFirstReadBecomesA502AndNeverReachesTheClient() throws Exception {
    String bad = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nsmuggled\r\n0\r\n\r\n";
    try (RawBackend backend = new RawBackend(req -> bad)) {
      String r = throughProxy(backend, "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(r).startsWith("HTTP/1.1 502 ").doesNotContain("zz", "smuggled", "abc");
    }
  }

  @Test
  void aMalformedChunkAfterTheHeadWentOutCutsTheResponseBeforeIt() throws Exception {
    String first = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n";
    CompletableFuture<Void> firstArrived = new CompletableFuture<>();
    try (RawBackend backend = new RawBackend(req -> first, "zz\r\nsmuggled\r\n0\r\n\r\n", firstArrived);
        TestCluster c = TestCluster.of(0, RawBackend::alone);
        Socket client = new Socket(InetAddress.getLoopbackAddress(), c.stc.port())) {
      c.stc.upstream().add("raw", "127.0.0.1", backend.port(), 1, BackendState.UP);
      client.setSoTimeout(10_000);
      client.getOutputStream().write("GET /c HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = client.getInputStream();
      byte[] buf = new byte[4096];
      int n;
      while ((n = in.read(buf)) > 0) {
        got.write(buf, 0, n);
        if (got.toString(StandardCharsets.ISO_8859_1).endsWith("3\r\nabc\r\n")) {
          firstArrived.complete(null);
        }
      }
      String r = got.toString(StandardCharsets.ISO_8859_1);
      assertThat(firstArrived).isDone();
      assertThat(r).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n3\r\nabc\r\n").doesNotContain("zz", "smuggled");
    }
  }

  @Test
  void anHttp10ClientGetsTheChunkedBodyDechunkedAndDelimitedByClose() throws Exception {
    try (RawBackend backend = new RawBackend(req -> CHUNKED_RESPONSE)) {
      String r = throughProxy(backend, "GET /c HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
      assertThat(r).startsWith("HTTP/1.1 200 OK\r\n");
      assertThat(head(r)).doesNotContain("transfer-encoding").contains("connection: close\r\n");
      assertThat(body(r)).isEqualTo("abcde");
    }
  }

  @Test
  void anHttp10ClientWhoseAnswerBreaksOffSeesAResetNotAnEnd() throws Exception {
    // Its body is delimited by the close, so a clean close would pass the cut body off as whole.
    String cut = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\na\r\nde";
    try (RawBackend backend = new RawBackend(req -> cut, r -> r.contains("\r\n\r\n"), true);
        TestCluster c = TestCluster.of(0, RawBackend::alone);
        Socket client = new Socket(InetAddress.getLoopbackAddress(), c.stc.port())) {
      c.stc.upstream().add("raw", "127.0.0.1", backend.port(), 1, BackendState.UP);
      client.setSoTimeout(10_000);
      client.getOutputStream().write("GET /c HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = client.getInputStream();
      byte[] buf = new byte[4096];
      assertThatThrownBy(() -> {
        while (in.read(buf) >= 0) {
          // what came before the end
        }
      }).isInstanceOf(java.net.SocketException.class);
    }
  }

  @Test
  void aTransferCodingAnHttp10ClientCannotBeToldOfIsA502() throws Exception {
    String coded = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    try (RawBackend backend = new RawBackend(req -> coded)) {
      String r = throughProxy(backend, "GET /c HTTP/1.0\r\nHost: x\r\n\r\n");
      assertThat(r).startsWith("HTTP/1.1 502 ").doesNotContain("abc");
      assertThat(head(r)).doesNotContain("transfer-encoding");
    }
  }

  @Test
  void aBodyTheBackendEndsByClosingIsRechunkedSoTheClientConnectionSurvives() throws Exception {
    try (RawBackend backend = new RawBackend(req -> "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello", r -> r.contains("\r\n\r\n"), true)) {
      // Two requests on one connection: the first answer must be delimited for the second to follow.
      String r = throughProxy(backend,
          "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      String first = r.substring(0, r.indexOf("HTTP/1.1", 1));
      assertThat(head(first)).contains("transfer-encoding: chunked\r\n").doesNotContain("connection: close");
      assertThat(body(first)).isEqualTo("5\r\nhello\r\n0\r\n\r\n");
      String second = r.substring(first.length());
      assertThat(second).startsWith("HTTP/1.1 200 OK\r\n");
      assertThat(body(second)).isEqualTo("5\r\nhello\r\n0\r\n\r\n");
      assertThat(backend.received).hasSize(2);
    }
  }

  @Test
  void aChunkedUploadReachesTheBackendChunkedWithItsTrailer() throws Exception {
    try (RawBackend backend = new RawBackend(
            req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", r -> r.contains("\r\n0\r\n") && r.endsWith("\r\n\r\n"), false)) {
      String r = throughProxy(backend,
          "POST /up HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n");
      assertThat(r).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nok");
      String got = backend.received.get(0);
      assertThat(got).startsWith("POST /up HTTP/1.1\r\n");
      assertThat(head(got)).contains("transfer-encoding: chunked\r\n", "x-forwarded-for: 127.0.0.1\r\n", "x-forwarded-host: x\r\n");
      assertThat(body(got)).isEqualTo("5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n");
    }
  }

  @Test
  void aSmallBodyArrivingWithItsHeadIsForwardedWhole() throws Exception {
    try (RawBackend backend = new RawBackend(req -> "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")) {
      String r = throughProxy(backend, "HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(r).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n");
      assertThat(head(r)).contains("content-length: 5\r\n");
      String g = throughProxy(backend, "GET /g HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(body(g)).isEqualTo("hello");
    }
  }

  @Test
  void aHeadResponseWithoutLengthGetsNoFramingAddedAndKeepsTheConnection() throws Exception {
    // The backend closes after each answer, so the GET that follows gets a fresh backend connection.
    try (RawBackend backend = new RawBackend(
            req -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n", r -> r.contains("\r\n\r\n"), true)) {
      String r = throughProxy(backend,
          "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      String first = r.substring(0, r.indexOf("HTTP/1.1", 1));
      assertThat(head(first)).contains("content-type: text/plain\r\n").doesNotContain("transfer-encoding", "connection: close");
      assertThat(r.substring(first.length())).startsWith("HTTP/1.1 200 OK\r\n");
    }
  }
}
