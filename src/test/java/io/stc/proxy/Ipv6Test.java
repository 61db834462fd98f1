package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stc.backend.BackendOptions;
import io.stc.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A backend on an IPv6 address and clients on IPv6: probed, reached, and named as HTTP writes them. */
class Ipv6Test {
  @BeforeAll
  static void ipv6Loopback() {
    boolean works;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
      works = true;
    } catch (IOException e) {
      works = false;
    }
    assumeTrue(works, "no IPv6 loopback on this machine");
  }

  static String exchange(String host, int port, String request) throws IOException {
    try (Socket s = new Socket(host, port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void anIpv6BackendPassesItsProbesAndARequestWithoutHostNamesItInBrackets() throws Exception {
    // TestCluster waits for the backend's probes to pass: they failed on an IPv6 backend before.
    try (TestCluster c = TestCluster.of(List.of(new BackendOptions("v6", "::1", 0, 0, 0, 0, 0)), cfg -> cfg.withHost("::"))) {
      int backendPort = c.backends.get(0).port();
      String viaV4 = exchange("127.0.0.1", c.stc.port(), "GET /headers HTTP/1.0\r\n\r\n");
      assertThat(viaV4).startsWith("HTTP/1.1 200").contains("\"host\":\"[::1]:" + backendPort + "\"");
      String viaV6 = exchange("::1", c.stc.port(), "GET /headers HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n");
      // The client as nginx and HAProxy write it (RFC 5952), not Java's 0:0:0:0:0:0:0:1.
      assertThat(viaV6).startsWith("HTTP/1.1 200").contains("\"x-forwarded-for\":\"::1\"");
    }
  }
}
