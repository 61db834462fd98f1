package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A stopping stc closes client connections once they are quiet: one in use, or just opened, gets its next request answered first. */
class DrainTest {
  private static final String GET = "GET /drain HTTP/1.1\r\nHost: stc\r\n\r\n";

  /** One response's head and body (Content-Length framed), read off {@code in}. */
  private static String response(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
      head.write(b);
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    int at = h.toLowerCase().indexOf("content-length: ");
    int length = Integer.parseInt(h.substring(at + 16, h.indexOf("\r\n", at)).trim());
    return h + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }

  private static boolean refuses(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aConnectionInUseAndAJustOpenedOneGetTheirNextRequestAnsweredWithConnectionClose() throws Exception {
    try (TestCluster c = TestCluster.of(1);
        Socket used = new Socket(InetAddress.getLoopbackAddress(), c.stc.port());
        Socket fresh = new Socket(InetAddress.getLoopbackAddress(), c.stc.port())) {
      used.setSoTimeout(10_000);
      fresh.setSoTimeout(10_000);
      used.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
      assertThat(response(used.getInputStream())).startsWith("HTTP/1.1 200 ").doesNotContainIgnoringCase("connection: close");

      // A 5 s shutdown: connections go once quiet for half a second.
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
        try {
          c.stc.close(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      int port = c.stc.port();
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> refuses(port));

      used.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
      fresh.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
      for (Socket s : new Socket[] {used, fresh}) {
        String r = response(s.getInputStream());
        assertThat(r).startsWith("HTTP/1.1 200 ").containsIgnoringCase("connection: close");
        assertThat(s.getInputStream().read()).as("closed after its answer").isEqualTo(-1);
      }
      stopping.get();
    }
  }

  @Test
  void anHttp2ConnectionGetsGoAwayAndItsStreamUnderWayFinishes() throws Exception {
    try (TestCluster c = TestCluster.of(1); io.stc.testing.Http2TestClient h2 = new io.stc.testing.Http2TestClient(c.stc.port())) {
      assertThat(h2.get("/warm").status()).isEqualTo(200);
      CompletableFuture<io.stc.testing.Http2TestClient.Response> slow = h2.send("GET", "/slow?delay=1", null, null);
      await().atMost(Duration.ofSeconds(10)).until(() -> c.backend(0).stats().inFlight() == 1);
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
        try {
          c.stc.close(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      // GOAWAY while the stream is still under way (the backend answers a second later), then the answer.
      assertThat(h2.goAway.get(10, java.util.concurrent.TimeUnit.SECONDS)).isZero();
      assertThat(slow).isNotDone();
      assertThat(slow.get(10, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(200);
      stopping.get();
    }
  }
}
