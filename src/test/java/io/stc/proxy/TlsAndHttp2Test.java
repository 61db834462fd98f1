package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stc.config.StcConfig;
import io.stc.testing.TestCluster;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.HashSet;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsAndHttp2Test {

  private static SSLContext trusting(Path certFile) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(certFile)) {
      trust.setCertificateEntry("stc", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  @Test
  void servesHttp2AndHttp11OverTlsToHttp11Backends(@TempDir Path dir) throws Exception {
    SelfSignedCertificate.PemFiles pem = SelfSignedCertificate.ensure(dir);
    try (TestCluster c = TestCluster.of(2, cfg -> cfg.withTls(new io.stc.config.TlsConfig(pem.cert().toString(), pem.key().toString())))) {
      SSLContext ssl = trusting(pem.cert());
      ObjectMapper json = new ObjectMapper();
      URI uri = URI.create("https://127.0.0.1:" + c.stc.port() + "/headers");

      HttpClient h2 = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_2).build();
      Set<String> servedBy = new HashSet<>();
      for (int i = 0; i < 6; i++) {
        HttpResponse<String> r = h2.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        servedBy.add(r.headers().firstValue("x-served-by").orElseThrow());
        JsonNode seen = json.readTree(r.body());
        assertThat(seen.get("x-forwarded-proto").asText()).isEqualTo("https");
        assertThat(seen.has("host")).isTrue();
        // The HTTP/2 conversion's own headers stay inside the proxy.
        seen.fieldNames().forEachRemaining(name -> assertThat(name).doesNotStartWith("x-http2-"));
      }
      assertThat(servedBy).hasSize(2);

      HttpResponse<String> post = h2.send(
          HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + c.stc.port() + "/upload"))
              .POST(HttpRequest.BodyPublishers.ofString("z".repeat(200_000))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(200);
      assertThat(json.readTree(post.body()).get("received").asLong()).isEqualTo(200_000);

      // A second, independent HTTP/2 client: curl (when installed; CI installs it).
      boolean curl = new java.io.File("/usr/bin/curl").canExecute();
      if (curl) {
        Process p = new ProcessBuilder("/usr/bin/curl", "-s", "--http2", "--cacert", pem.cert().toString(),
                "-o", "/dev/null", "-w", "%{http_version} %{http_code}", uri.toString())
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("2 200");
      }

      HttpClient h1 = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<String> r1 = h1.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r1.statusCode()).isEqualTo(200);
      assertThat(r1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    }
  }

  @Test
  void speaksTlsToBackendsVerifyingTheirCertificate(@TempDir Path dir) throws Exception {
    SelfSignedCertificate.PemFiles pem = SelfSignedCertificate.ensure(dir);
    // The TLS backend is an stc with a TLS listener in front of a plain demo backend.
    try (TestCluster inner = TestCluster.of(1, cfg -> cfg.withTls(new io.stc.config.TlsConfig(pem.cert().toString(), pem.key().toString())))) {
      int tlsPort = inner.stc.port();
      try (TestCluster outer = TestCluster.of(0, cfg -> cfg
          .withTls(io.stc.config.TlsConfig.defaults().withBackends(true).withBackendCa(pem.cert().toString()).withBackendVerify(true))
          .withBackends(java.util.List.of(new StcConfig.BackendConfig("127.0.0.1", tlsPort, 1))))) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
            .until(() -> outer.stc.upstream().pool().availableCount() == 1);
        HttpResponse<String> r = outer.get("/through-tls");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"path\":\"/through-tls\"");
        assertThat(new ObjectMapper().readTree(outer.get("/headers").body()).get("x-forwarded-proto").asText()).isEqualTo("https");
      }
      // A backend whose certificate is not trusted is never used.
      try (TestCluster untrusting = TestCluster.of(0, cfg -> cfg
          .withTls(io.stc.config.TlsConfig.defaults().withBackends(true).withBackendCa(null).withBackendVerify(true))
          .withBackends(java.util.List.of(new StcConfig.BackendConfig("127.0.0.1", tlsPort, 1))))) {
        assertThat(untrusting.get("/x").statusCode()).isGreaterThanOrEqualTo(502);
      }
    }
  }

  @Test
  void anIdleHttp2ConnectionIsClosedAfterTheIdleTimeout(@TempDir Path dir) throws Exception {
    SelfSignedCertificate.PemFiles pem = SelfSignedCertificate.ensure(dir);
    try (TestCluster c = TestCluster.of(1, cfg -> {
      StcConfig.Timeouts t = cfg.timeouts();
      return cfg.withTls(new io.stc.config.TlsConfig(pem.cert().toString(), pem.key().toString()))
          .withTimeouts(t.withIdle(java.time.Duration.ofSeconds(2)));
    })) {
      HttpClient h2 = HttpClient.newBuilder().sslContext(trusting(pem.cert())).version(HttpClient.Version.HTTP_2).build();
      HttpResponse<String> r = h2.send(
          HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + c.stc.port() + "/once")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(c.stc.proxy().openConnections()).isEqualTo(1);
      // The client keeps its connection for reuse; the proxy ends it once it has been idle.
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> c.stc.proxy().openConnections() == 0);
    }
  }

  /**
   * Idleness counts from the last stream's end: a connection whose requests keep coming, a few a
   * second, is never closed between two of them (it was, once its first idle timeout had passed,
   * whenever no stream happened to be open, and the request on its way then failed).
   */
  @Test
  void aConnectionWhoseStreamsKeepComingIsNotClosedBetweenThem() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> cfg.withTimeouts(cfg.timeouts().withIdle(java.time.Duration.ofMillis(600))));
        io.stc.testing.Http2TestClient h2 = new io.stc.testing.Http2TestClient(c.stc.port())) {
      for (int i = 0; i < 25; i++) {
        assertThat(h2.get("/steady-" + i).status()).as("request %d", i).isEqualTo(200);
        // The client's own pace: a request every 100 ms, six of them in each idle timeout.
        Thread.sleep(100);
      }
      assertThat(h2.isOpen()).isTrue();
      // Once they stop, the connection is closed as idle.
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> !h2.isOpen());
    }
  }
}
