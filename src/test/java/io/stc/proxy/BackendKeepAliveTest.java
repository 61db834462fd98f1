package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TestCluster;
import io.stc.pool.Backend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Backend connections are kept for the next request, whatever the request carried. */
class BackendKeepAliveTest {

  @Test
  void oneClientConnectionsRequestsShareOneBackendConnection() throws Exception {
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = TestCluster.of(0, RawBackend::alone);
        Socket s = new Socket()) {
      c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
      s.connect(new InetSocketAddress("127.0.0.1", c.stc.port()));
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      String[] requests = {
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
        "HEAD /c HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /d HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "DELETE /e HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /f HTTP/1.1\r\nHost: a\r\n\r\n",
      };
      for (String r : requests) {
        out.write(r.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        assertThat(in.readLine()).startsWith("HTTP/1.1 200 ");
        boolean head = r.startsWith("HEAD");
        String line;
        while (!(line = in.readLine()).isEmpty()) {
          // the response's fields
        }
        if (!head) {
          char[] ok = new char[2];
          assertThat(in.read(ok)).isEqualTo(2);
        }
      }
      assertThat(backend.requests).hasSize(requests.length);
      assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }
  }

  /**
   * A backend that answers each connection's first request, keeping it alive, and closes it when a
   * second one comes: the close of an idle connection racing the request sent on it, made certain.
   */
  @Test
  void anIdempotentRequestOnAKeptConnectionTheBackendClosedGoesAgainOnAFreshOne() throws Exception {
    AtomicInteger accepted = new AtomicInteger();
    List<String> lines = new CopyOnWriteArrayList<>();
    try (ServerSocket closer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      Thread acceptor = new Thread(() -> {
        while (true) {
          try {
            Socket conn = closer.accept();
            accepted.incrementAndGet();
            Thread t = new Thread(() -> answerOnceThenClose(conn, lines));
            t.setDaemon(true);
            t.start();
          } catch (IOException closed) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      Backend b = c.stc.upstream().add("closer", "127.0.0.1", closer.getLocalPort(), 1, BackendState.UP);

      assertThat(c.get("/one").statusCode()).isEqualTo(200);
      assertThat(c.get("/two").statusCode()).as("GET on the closed connection, then on a new one").isEqualTo(200);
      assertThat(lines).containsExactly("GET /one HTTP/1.1", "GET /two HTTP/1.1", "GET /two HTTP/1.1");
      assertThat(accepted.get()).isEqualTo(2);
      assertThat(b.stats().failures()).as("no verdict on the backend").isZero();

      // A POST may have been acted on: it is not sent again.
      HttpResponse<String> post = c.http.send(HttpRequest.newBuilder(c.uri("/three"))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(502);
      assertThat(lines).containsOnlyOnce("POST /three HTTP/1.1");
    }
  }

  private static void answerOnceThenClose(Socket conn, List<String> lines) {
    try (conn) {
      BufferedReader in = new BufferedReader(new InputStreamReader(conn.getInputStream(), StandardCharsets.ISO_8859_1));
      OutputStream out = conn.getOutputStream();
      for (int n = 0; ; n++) {
        String requestLine = in.readLine();
        if (requestLine == null) {
          return;
        }
        lines.add(requestLine);
        if (n == 1) {
          return; // the second request on this connection: closed unanswered
        }
        int length = 0;
        String line;
        while (!(line = in.readLine()).isEmpty()) {
          if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        in.skip(length);
        out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    } catch (IOException gone) {
      // stc closed it
    }
  }
}
