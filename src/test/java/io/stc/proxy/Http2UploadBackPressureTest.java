package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

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
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads over HTTP/2 that outgrow the stream's flow-control window while the backend connection
 * pushes back: reading the stream again must get its window update out at once. It stalled until
 * the body timeout about once in twenty uploads before (the update waited for a flush inside the
 * connection's read loop that had already passed).
 */
class Http2UploadBackPressureTest {
  @Test
  void everyUploadCompletes(@TempDir Path dir) throws Exception {
    SelfSignedCertificate.PemFiles pem = SelfSignedCertificate.ensure(dir);
    try (TestCluster c = TestCluster.of(2, cfg -> cfg.withTls(new io.stc.config.TlsConfig(pem.cert().toString(), pem.key().toString()))
        .withTimeouts(cfg.timeouts().withBody(java.time.Duration.ofSeconds(3))))) {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(pem.cert())) {
        trust.setCertificateEntry("stc", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      for (int i = 0; i < 40; i++) {
        HttpClient h2 = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_2).build();
        for (int j = 0; j < 3; j++) {
          h2.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + c.stc.port() + "/x")).build(), HttpResponse.BodyHandlers.ofString());
        }
        HttpResponse<String> post = h2.send(
            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + c.stc.port() + "/upload"))
                .POST(HttpRequest.BodyPublishers.ofString("z".repeat(200_000))).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).as("try " + i).isEqualTo(200);
      }
    }
  }
}
