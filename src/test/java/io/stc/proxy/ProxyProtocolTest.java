package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A listener behind an L4 balancer takes each connection's client from its PROXY protocol header
 * (v1 and v2): X-Forwarded-For and the per-client connection limit see that client; a connection
 * without a well-formed header is closed with nothing forwarded. curl's {@code --haproxy-protocol}
 * is a real sender of it.
 */
class ProxyProtocolTest {
  private static final String GET = "GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  private RecordingBackend backend;
  private TestCluster c;

  @BeforeEach
  void start() throws Exception {
    backend = new RecordingBackend();
    c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withProxyProtocol(true)
        .withLimits(StcConfig.Limits.defaults().withConnectionsPerClient(2))
        .withTimeouts(cfg.timeouts().withHeader(Duration.ofSeconds(2))));
    c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
  }

  @AfterEach
  void stop() throws Exception {
    c.close();
    backend.close();
  }

  /** Sends {@code bytes} on a new connection and reads what comes back until the connection ends. */
  private String exchange(byte[] bytes) throws IOException {
    try (Socket s = new Socket("127.0.0.1", c.stc.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(bytes);
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      try {
        int n;
        while ((n = in.read(buf)) > 0) {
          got.write(buf, 0, n);
        }
      } catch (IOException reset) {
        // closed with a reset: what came before stands
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private static byte[] concat(byte[] a, String b) {
    byte[] tail = b.getBytes(StandardCharsets.ISO_8859_1);
    return ByteBuffer.allocate(a.length + tail.length).put(a).put(tail).array();
  }

  /** A v2 header (PROXY, TCP over IPv6) from {@code source} to [::1]:80. */
  private static byte[] v2(String source, int port) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(16 + 36);
    b.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
    b.put((byte) 0x21); // version 2, PROXY
    b.put((byte) 0x21); // AF_INET6, STREAM
    b.putShort((short) 36);
    b.put(InetAddress.getByName(source).getAddress());
    b.put(InetAddress.getByName("::1").getAddress());
    b.putShort((short) port).putShort((short) 80);
    return b.array();
  }

  private String lastForwardedFor() {
    String r = backend.requests.get(backend.requests.size() - 1);
    for (String line : r.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("x-forwarded-for:")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return null;
  }

  @Test
  void v1AndV2HeadersNameTheClient() throws Exception {
    String v1 = exchange(("PROXY TCP4 203.0.113.7 10.0.0.1 56324 80\r\n" + GET).getBytes(StandardCharsets.ISO_8859_1));
    assertThat(v1).startsWith("HTTP/1.1 200");
    assertThat(lastForwardedFor()).isEqualTo("203.0.113.7");

    String v2 = exchange(concat(v2("2001:db8::42", 40000), GET));
    assertThat(v2).startsWith("HTTP/1.1 200");
    assertThat(lastForwardedFor()).isEqualTo("2001:db8::42");
    assertThat(backend.violations).isEmpty();
  }

  /**
   * A v2 header as AWS's Network Load Balancer sends it: IPv4, with TLVs after the addresses (its
   * endpoint id, type 0xEA, and a NOOP), and the whole head written a few bytes at a time, so the
   * header and the request arrive split across reads.
   */
  @Test
  void aV2HeaderWithTlvsSplitAcrossReadsNamesTheClient() throws Exception {
    byte[] endpoint = "vpce-0123456789abcdef0".getBytes(StandardCharsets.US_ASCII);
    int tlvs = (3 + 1 + endpoint.length) + (3 + 2);
    ByteBuffer b = ByteBuffer.allocate(16 + 12 + tlvs);
    b.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
    b.put((byte) 0x21).put((byte) 0x11).putShort((short) (12 + tlvs)); // PROXY, TCP over IPv4
    b.put(InetAddress.getByName("192.0.2.33").getAddress()).put(InetAddress.getByName("10.0.0.9").getAddress());
    b.putShort((short) 51000).putShort((short) 80);
    b.put((byte) 0xEA).putShort((short) (1 + endpoint.length)).put((byte) 0x01).put(endpoint);
    b.put((byte) 0x04).putShort((short) 2).put(new byte[2]); // PP2_TYPE_NOOP
    byte[] all = concat(b.array(), GET);
    try (Socket s = new Socket("127.0.0.1", c.stc.port())) {
      s.setSoTimeout(20_000);
      s.setTcpNoDelay(true);
      java.io.OutputStream out = s.getOutputStream();
      for (int i = 0; i < all.length; i += 7) {
        out.write(all, i, Math.min(7, all.length - i));
        out.flush();
      }
      byte[] head = s.getInputStream().readNBytes(12);
      assertThat(new String(head, StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
    }
    assertThat(lastForwardedFor()).isEqualTo("192.0.2.33");
  }

  @Test
  void theBalancersOwnCheckKeepsTheConnectionsAddress() throws Exception {
    // v1's UNKNOWN, as a balancer's health check or a client it cannot name sends.
    String r = exchange(("PROXY UNKNOWN\r\n" + GET).getBytes(StandardCharsets.ISO_8859_1));
    assertThat(r).startsWith("HTTP/1.1 200");
    assertThat(lastForwardedFor()).isEqualTo("127.0.0.1");
  }

  @Test
  void aConnectionWithoutAValidHeaderIsClosedWithNothingForwarded() throws Exception {
    for (String bad : List.of(GET, "PROXY TCP4 not-an-address 10.0.0.1 1 2\r\n" + GET, "PROXY TCP9 1.2.3.4 5.6.7.8 1 2\r\n" + GET)) {
      assertThat(exchange(bad.getBytes(StandardCharsets.ISO_8859_1))).as("answer to %s", bad).isEmpty();
    }
    // Nothing at all: closed after timeouts.header.
    try (Socket s = new Socket("127.0.0.1", c.stc.port())) {
      s.setSoTimeout(20_000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    assertThat(backend.requests).isEmpty();
  }

  @Test
  void theLimitPerClientCountsTheHeadersClientNotTheBalancer() throws Exception {
    // Two connections held open by one client behind the balancer (the limit), a third refused;
    // another client through the same balancer is served.
    Socket[] held = new Socket[2];
    try {
      for (int i = 0; i < held.length; i++) {
        held[i] = new Socket("127.0.0.1", c.stc.port());
        held[i].getOutputStream().write("PROXY TCP4 198.51.100.1 10.0.0.1 5000 80\r\n".getBytes(StandardCharsets.ISO_8859_1));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> c.stc.proxy().openConnections() == 2
          && c.stc.proxy().connectedClients() == 1);
      String third = exchange(("PROXY TCP4 198.51.100.1 10.0.0.1 5002 80\r\n" + GET).getBytes(StandardCharsets.ISO_8859_1));
      assertThat(third).startsWith("HTTP/1.1 503");
      String other = exchange(("PROXY TCP4 198.51.100.2 10.0.0.1 5003 80\r\n" + GET).getBytes(StandardCharsets.ISO_8859_1));
      assertThat(other).startsWith("HTTP/1.1 200");
    } finally {
      for (Socket s : held) {
        if (s != null) {
          s.close();
        }
      }
    }
  }

  @Test
  void connectionsWaitingForTheirHeaderTakePlacesUnderTheConnectionLimit() throws Exception {
    // Otherwise anyone could hold any number of connections open for timeouts.header each.
    try (TestCluster limited = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withProxyProtocol(true)
        .withLimits(StcConfig.Limits.defaults().withConnections(3))
        .withTimeouts(cfg.timeouts().withHeader(Duration.ofSeconds(60))))) {
      limited.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
      int port = limited.stc.port();
      List<Socket> silent = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          silent.add(new Socket("127.0.0.1", port));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> limited.stc.proxy().openConnections() == 3);
        try (Socket fourth = new Socket("127.0.0.1", port)) {
          fourth.setSoTimeout(20_000);
          fourth.getOutputStream().write(("PROXY TCP4 198.51.100.9 10.0.0.1 5000 80\r\n" + GET).getBytes(StandardCharsets.ISO_8859_1));
          int first;
          try {
            first = fourth.getInputStream().read();
          } catch (java.net.SocketException reset) {
            first = -1;
          }
          assertThat(first).as("the fourth connection is closed at once, unread").isEqualTo(-1);
        }
        // Closed without waiting for their header's minute: the three still hold their places.
        assertThat(limited.stc.proxy().openConnections()).isEqualTo(3);
        silent.remove(0).close();
        await().atMost(Duration.ofSeconds(20)).until(() -> limited.stc.proxy().openConnections() == 2);
        try (Socket s = new Socket("127.0.0.1", port)) {
          s.setSoTimeout(20_000);
          s.getOutputStream().write(("PROXY TCP4 198.51.100.9 10.0.0.1 5001 80\r\n" + GET).getBytes(StandardCharsets.ISO_8859_1));
          String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
          assertThat(answer).startsWith("HTTP/1.1 200");
        }
      } finally {
        for (Socket s : silent) {
          s.close();
        }
      }
    }
    assertThat(backend.requests).hasSize(1);
  }

  @Test
  void curlsHaproxyProtocolGetsThrough() throws Exception {
    Process curl = new ProcessBuilder("curl", "-s", "--haproxy-protocol", "-o", "/dev/null", "-w", "%{http_code}",
        "http://127.0.0.1:" + c.stc.port() + "/curl").redirectErrorStream(true).start();
    assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(curl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("200");
    // curl names its own end of the connection: the header's source is 127.0.0.1.
    assertThat(lastForwardedFor()).isEqualTo("127.0.0.1");
  }
}
