package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.TlsConfig;
import io.stc.testing.RawHttp;
import io.stc.testing.RawResponses;
import io.stc.testing.TestCluster;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tls.redirect_port}: a plain listener that sends every request to the same target on the TLS listener, 308. */
class HttpsRedirectTest {
  @TempDir Path dir;

  private TestCluster cluster(int httpsPort) throws Exception {
    SelfSignedCertificate.PemFiles pem = SelfSignedCertificate.ensure(dir);
    return TestCluster.of(1, cfg -> cfg.withTls(new TlsConfig(pem.cert().toString(), pem.key().toString())
        .withRedirectPort(0).withRedirectHttpsPort(httpsPort)));
  }

  @Test
  void everyRequestIsSentToTheSameTargetOverHttpsOnOneKeptConnection() throws Exception {
    try (TestCluster c = cluster(0)) {
      int redirect = c.stc.proxy().redirectPort();
      assertThat(redirect).isPositive().isNotEqualTo(c.stc.port());
      try (Socket s = new Socket("127.0.0.1", redirect)) {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        s.getOutputStream().write(("GET /shop/cart?id=7 HTTP/1.1\r\nHost: shop.example:8080\r\n\r\n"
            + "POST /orders HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\nContent-Length: 5\r\n\r\nhello"
            + "OPTIONS * HTTP/1.1\r\nHost: shop.example\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        String first = RawResponses.next(in);
        assertThat(first).startsWith("HTTP/1.1 308 Permanent Redirect")
            .contains("\r\nlocation: https://shop.example:" + c.stc.port() + "/shop/cart?id=7\r\n");
        assertThat(RawResponses.next(in)).startsWith("HTTP/1.1 308")
            .contains("\r\nlocation: https://[2001:db8::1]:" + c.stc.port() + "/orders\r\n");
        assertThat(RawResponses.next(in)).startsWith("HTTP/1.1 308")
            .contains("\r\nlocation: https://shop.example:" + c.stc.port() + "/\r\n");
      }
      assertThat(c.backends.get(0).requests()).as("nothing proxied").isZero();
    }
  }

  @Test
  void theHttpsPortItNamesCanBeThePublicOneAndABadHostOrRequestIs400() throws Exception {
    try (TestCluster c = cluster(443)) {
      int redirect = c.stc.proxy().redirectPort();
      assertThat(RawHttp.exchange(redirect, "GET /a HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n"))
          .startsWith("HTTP/1.1 308").contains("\r\nlocation: https://shop.example/a\r\n");
      assertThat(RawHttp.exchange(redirect, "GET /ws HTTP/1.1\r\nHost: shop.example\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
          .as("a WebSocket upgrade is redirected and the connection closed").startsWith("HTTP/1.1 308")
          .contains("\r\nlocation: https://shop.example/ws\r\n").containsIgnoringCase("\r\nconnection: close\r\n");
      assertThat(RawHttp.exchange(redirect, "GET /a HTTP/1.0\r\n\r\n")).as("no Host").startsWith("HTTP/1.1 400");
      assertThat(RawHttp.exchange(redirect, "GET /a HTTP/1.1\r\nHost: evil.example/x?\r\n\r\n")).startsWith("HTTP/1.1 400");
      assertThat(RawHttp.exchange(redirect, "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n")).as("malformed").startsWith("HTTP/1.1 400");
    }
  }

  @Test
  void itsOwn400CarriesTheErrorPageWhenOneIsSet() throws Exception {
    SelfSignedCertificate.PemFiles pem = SelfSignedCertificate.ensure(dir);
    Path page = dir.resolve("400.html");
    java.nio.file.Files.writeString(page, "<h1>That request was not understood</h1>");
    try (TestCluster c = TestCluster.of(1, cfg -> cfg.withTls(new TlsConfig(pem.cert().toString(), pem.key().toString())
        .withRedirectPort(0)).withErrorPages(new io.stc.config.ErrorPages(java.util.Map.of(400, io.stc.config.ErrorPages.read(page.toString())))))) {
      int redirect = c.stc.proxy().redirectPort();
      for (String bad : new String[] {"GET /a HTTP/1.0\r\n\r\n", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"}) {
        assertThat(RawHttp.exchange(redirect, bad)).startsWith("HTTP/1.1 400")
            .containsIgnoringCase("\r\ncontent-type: text/html; charset=utf-8\r\n").endsWith("<h1>That request was not understood</h1>");
      }
    }
  }

  @Test
  void locations() {
    assertThat(HttpsRedirect.location("a.example", "/p", 443)).isEqualTo("https://a.example/p");
    assertThat(HttpsRedirect.location("a.example:80", "/p", 8443)).isEqualTo("https://a.example:8443/p");
    assertThat(HttpsRedirect.location("10.0.0.1:8080", "http://10.0.0.1:8080/x?y", 443)).isEqualTo("https://10.0.0.1/x?y");
    assertThat(HttpsRedirect.location("a", "http://a", 443)).isEqualTo("https://a/");
    assertThat(HttpsRedirect.location(null, "/p", 443)).isNull();
    assertThat(HttpsRedirect.location("", "/p", 443)).isNull();
    assertThat(HttpsRedirect.location("a b", "/p", 443)).isNull();
    assertThat(HttpsRedirect.location("user@a.example", "/p", 443)).isNull();
  }
}
