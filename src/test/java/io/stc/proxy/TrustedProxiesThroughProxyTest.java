package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.AddressRange;
import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RawHttp;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TestCluster;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Behind a trusted proxy (here the test itself, on 127.0.0.1) the client its X-Forwarded-For names
 * is the one rate limits key on, while the header the backend gets still records every hop; an
 * untrusted peer cannot choose who it is seen as.
 */
class TrustedProxiesThroughProxyTest {
  static String get(int port, String forwardedFor) throws IOException {
    return RawHttp.exchange(port, "GET /who HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: " + forwardedFor
        + "\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\nForwarded: for=192.0.2.1;proto=https\r\n"
        + "Connection: close\r\n\r\n");
  }

  static TestCluster cluster(RecordingBackend backend, String trusted) throws InterruptedException {
    TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg)
        .withClientIp(new StcConfig.ClientIp(List.of(AddressRange.parse(trusted)), "X-Forwarded-For"))
        .withRateLimit(new StcConfig.RateLimit(StcConfig.RateLimit.Per.IP, "X-Api-Key", 0.001, 1, 1000))
        .withLimits(StcConfig.Limits.defaults().withConnectionsPerClient(2)));
    c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
    return c;
  }

  @Test
  void aTrustedPeersRequestsAreLimitedByTheClientItNamesAndItsConnectionsByNoClientLimit() throws Exception {
    try (RecordingBackend backend = new RecordingBackend(); TestCluster c = cluster(backend, "127.0.0.0/8")) {
      int port = c.stc.port();
      assertThat(get(port, "198.51.100.1, 203.0.113.7")).startsWith("HTTP/1.1 200");
      // The same client again, whatever it made up on the left: its one token is spent.
      assertThat(get(port, "192.0.2.99, 203.0.113.7")).startsWith("HTTP/1.1 429");
      assertThat(get(port, "203.0.113.8")).startsWith("HTTP/1.1 200");
      assertThat(backend.requests.get(backend.requests.size() - 1)).containsIgnoringCase("x-forwarded-for: 203.0.113.8, 127.0.0.1\r\n");
      // The balancer in front ended TLS for shop.example: the backend hears so, not stc's own view.
      assertThat(backend.requests.get(backend.requests.size() - 1)).containsIgnoringCase("x-forwarded-proto: https\r\n")
          .containsIgnoringCase("x-forwarded-host: shop.example\r\n");
      // A trusted proxy's RFC 7239 header goes on as it came.
      assertThat(backend.requests.get(backend.requests.size() - 1)).contains("\nForwarded: for=192.0.2.1;proto=https\r\n");

      // Many clients come through one balancer: its connections are not one client's.
      assertThat(statusesOnFiveOpenConnections(port)).containsOnly("HTTP/1.1 200 OK");
    }
  }

  @Test
  void anUntrustedPeerIsItselfWhateverItSends() throws Exception {
    try (RecordingBackend backend = new RecordingBackend(); TestCluster c = cluster(backend, "10.0.0.0/8")) {
      int port = c.stc.port();
      assertThat(get(port, "203.0.113.7")).startsWith("HTTP/1.1 200");
      assertThat(get(port, "203.0.113.8")).startsWith("HTTP/1.1 429");
      assertThat(backend.requests.get(0)).containsIgnoringCase("x-forwarded-for: 203.0.113.7, 127.0.0.1\r\n")
          .containsIgnoringCase("x-forwarded-proto: http\r\n").containsIgnoringCase("x-forwarded-host: x\r\n");
      // Nor can it claim a scheme through RFC 7239's header: that never reaches the backend from it.
      assertThat(backend.requests.get(0)).doesNotContainIgnoringCase("\nforwarded: ");
      // Two places for this client (which of the five connections the listener took first is its business).
      assertThat(statusesOnFiveOpenConnections(port)).containsExactlyInAnyOrder(
          "HTTP/1.1 429 Too Many Requests", "HTTP/1.1 429 Too Many Requests",
          "HTTP/1.1 503 Service Unavailable", "HTTP/1.1 503 Service Unavailable", "HTTP/1.1 503 Service Unavailable");
    }
  }

  /** Opens five connections at once, then sends a request on each, named as a different client. */
  private static List<String> statusesOnFiveOpenConnections(int port) throws IOException {
    List<Socket> open = new ArrayList<>();
    List<String> statuses = new ArrayList<>();
    try {
      for (int i = 0; i < 5; i++) {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        open.add(s);
      }
      for (int i = 0; i < open.size(); i++) {
        Socket s = open.get(i);
        s.getOutputStream().write(("GET /who HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.114." + i + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        statuses.add(statusLine(s.getInputStream()));
      }
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
    return statuses;
  }

  private static String statusLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int b; (b = in.read()) != -1 && b != '\r'; ) {
      sb.append((char) b);
    }
    return sb.toString();
  }
}
