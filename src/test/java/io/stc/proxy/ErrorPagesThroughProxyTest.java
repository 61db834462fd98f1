package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.ErrorPages;
import io.stc.config.StcConfig;
import io.stc.testing.TestCluster;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code error_pages} through the real proxy: stc's own answers carry the page, by status, over both protocols. */
class ErrorPagesThroughProxyTest {
  private static final String PAGE = "<!doctype html><title>Back soon</title><h1>We are back in a minute</h1>\n";

  @TempDir Path dir;

  private StcConfig withPages(StcConfig c) throws Exception {
    Path page = Files.writeString(dir.resolve("503.html"), PAGE);
    return c.withErrorPages(new ErrorPages(Map.of(503, ErrorPages.read(page.toString()))));
  }

  @Test
  void anAnswerWithAPageCarriesItsBodyAndTypeAndKeepsItsOtherFields() throws Exception {
    StcConfig[] config = new StcConfig[1];
    try (TestCluster c = TestCluster.of(0, cfg -> {
      try {
        return config[0] = withPages(cfg);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    })) {
      HttpResponse<String> r = c.get("/shop");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("content-type")).contains("text/html; charset=utf-8");
      assertThat(r.headers().firstValue("content-length")).contains(Integer.toString(PAGE.length()));
      assertThat(r.headers().firstValue("retry-after")).contains("1");
      assertThat(r.headers().firstValue("x-request-id")).isPresent();
      assertThat(r.body()).isEqualTo(PAGE);

      // HEAD: the page's length, no body (else it would be read as the next response).
      HttpResponse<String> head = c.http.send(HttpRequest.newBuilder(c.uri("/shop")).method("HEAD", HttpRequest.BodyPublishers.noBody())
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(head.statusCode()).isEqualTo(503);
      assertThat(head.headers().firstValue("content-length")).contains(Integer.toString(PAGE.length()));
      assertThat(head.body()).isEmpty();

      // A status without a page keeps the JSON body: a request line far too long is a 414.
      String raw = rawExchange(c.stc.port(), "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(raw).startsWith("HTTP/1.1 414 ").contains("content-type: application/json").endsWith("\"reason\":\"uri_too_long\"}\n");
    }
  }

  @Test
  void anHttp2StreamGetsThePageToo() throws Exception {
    try (TestCluster c = TestCluster.of(0, cfg -> {
      try {
        return withPages(cfg);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    })) {
      // Java's client asks for h2c by Upgrade on a plain connection, which stc takes.
      java.net.http.HttpClient h2 = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_2).build();
      h2.send(HttpRequest.newBuilder(c.uri("/warm")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> r = h2.send(HttpRequest.newBuilder(c.uri("/shop")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.headers().firstValue("content-type")).contains("text/html; charset=utf-8");
      assertThat(r.body()).isEqualTo(PAGE);
    }
  }

  @Test
  void theConnectionLimitsRefusalCarriesThe503Page() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> {
      try {
        return withPages(cfg).withLimits(cfg.limits().withConnections(1));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }); Socket first = new Socket(InetAddress.getLoopbackAddress(), c.stc.port())) {
      first.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      first.getOutputStream().flush();
      first.getInputStream().read();
      String refused = rawExchange(c.stc.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(refused).startsWith("HTTP/1.1 503 ").contains("content-type: text/html; charset=utf-8\r\n",
          "content-length: " + PAGE.length() + "\r\n").endsWith(PAGE);
    }
  }

  /** Sends {@code request} on a new connection and reads until stc closes it. */
  private static String rawExchange(int port, String request) throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
