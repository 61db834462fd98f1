package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.testing.StcProcess;
import io.stc.testing.TestPki;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stc serve} with TLS, as a process of its own: provider choice, start-up checks, renegotiation, SIGHUP. */
class TlsServeIT {
  @TempDir Path dir;
  TestPki pki;
  TestPki.Issued cert;

  @BeforeEach
  void certificates() throws Exception {
    pki = TestPki.create(dir, "ca");
    cert = pki.issue("site", "EC", "localhost");
  }

  private Path config(String extra) throws Exception {
    return Files.writeString(dir.resolve("stc.yaml"),
        "state_dir: " + dir.resolve("state") + "\ntls:\n  cert: " + cert.certFile() + "\n  key: " + cert.keyFile() + "\n" + extra);
  }

  private static StcProcess serve(List<String> jvm, Path config) throws Exception {
    return StcProcess.start(jvm, "serve", "--config", config.toString(), "--host", "127.0.0.1", "--port", "0", "--admin-port", "0");
  }

  private void assertServesHttps(int port) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(pki.trustingContext()).build();
    // No backend: stc itself answers, over TLS, which is all this needs.
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(503);
  }

  @Test
  void autoTakesOpenSslAndFallsBackToTheJdkWithALineSayingWhy() throws Exception {
    try (StcProcess stc = serve(List.of(), config(""))) {
      // The line says https: a TLS listener.
      int port = Integer.parseInt(stc.awaitLine(java.util.regex.Pattern.compile("stc listening on https://127\\.0\\.0\\.1:(\\d+)")).group(1));
      await().atMost(Duration.ofSeconds(10)).until(() -> stc.stderr().contains("TLS provider: openssl (BoringSSL, tls.provider: auto)"));
      assertServesHttps(port);
      assertThat(stc.terminate()).isZero();
    }
    List<String> noOpenSsl = List.of("-Dio.netty.handler.ssl.noOpenSsl=true");
    try (StcProcess stc = serve(noOpenSsl, config(""))) {
      int port = stc.awaitListening();
      await().atMost(Duration.ofSeconds(10)).until(() -> stc.stderr().contains(
          "TLS provider: jdk (tls.provider: auto; OpenSSL is not available: OpenSSL was explicit disabled"));
      assertThat(stc.stderr()).containsOnlyOnce("TLS provider:");
      assertServesHttps(port);
      assertThat(stc.terminate()).isZero();
    }
    // Asked for by name where it cannot load: refused before anything starts, at the key's line.
    try (StcProcess stc = serve(noOpenSsl, config("  provider: openssl\n"))) {
      assertThat(stc.awaitExit()).isEqualTo(2);
      assertThat(stc.stderr()).contains("stc.yaml:5: tls.provider: OpenSSL is not available here").doesNotContain("listening");
    }
  }

  @Test
  void anUnusableTlsFileExits2WithFileLineAndKeyBeforeAnythingStarts() throws Exception {
    TestPki.Issued other = pki.issue("other", "RSA", "localhost");
    Path config = Files.writeString(dir.resolve("stc.yaml"),
        "tls:\n  cert: " + cert.certFile() + "\n  key: " + other.keyFile() + "\n");
    try (StcProcess stc = serve(List.of(), config)) {
      assertThat(stc.awaitExit()).isEqualTo(2);
      assertThat(stc.stderr()).contains("stc.yaml:3: tls.key: " + other.keyFile() + ": the private key does not belong to the certificate");
      assertThat(stc.remainingStdout()).doesNotContain("listening");
    }
    Files.writeString(cert.certFile(), "not a certificate\n");
    Path broken = Files.writeString(dir.resolve("broken.yaml"), "port: 0\ntls:\n  cert: " + cert.certFile() + "\n  key: " + cert.keyFile() + "\n");
    try (StcProcess stc = serve(List.of(), broken)) {
      assertThat(stc.awaitExit()).isEqualTo(2);
      assertThat(stc.stderr()).contains("broken.yaml:3: tls.cert: ").contains("holds no PEM block");
    }
  }

  @Test
  void clientInitiatedRenegotiationIsRefusedWithEitherProvider() throws Exception {
    for (String provider : List.of("jdk", "openssl")) {
      try (StcProcess stc = serve(List.of(), config("  provider: " + provider + "\n"))) {
        int port = stc.awaitListening();
        TlsListenerTest.assertRenegotiationRefused(pki.trustingContext(), port, "HTTP/1.1 503");
        if (Files.isExecutable(Path.of("/usr/bin/openssl"))) {
          // What testssl.sh does: "R" at the start of a line makes s_client renegotiate.
          Process p = new ProcessBuilder("/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + port, "-tls1_2",
              "-servername", "localhost").redirectErrorStream(true).start();
          p.getOutputStream().write("R\n".getBytes(StandardCharsets.US_ASCII));
          p.getOutputStream().flush();
          assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(provider + ": the connection ends").isTrue();
          String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          assertThat(out).as(provider).contains("RENEGOTIATING").containsPattern("alert (no renegotiation|handshake failure)");
        }
        assertThat(stc.terminate()).isZero();
      }
    }
  }

  @Test
  void sighupReloadsChangedCertificateFiles() throws Exception {
    // Under nohup SIGHUP is ignored, for this JVM and every process it starts: stc cannot get one.
    org.junit.jupiter.api.Assumptions.assumeFalse(hangupIgnored(), "SIGHUP is ignored here (nohup)");
    try (StcProcess stc = serve(List.of(), config("  watch: false\n"))) {
      int port = stc.awaitListening();
      assertThat(peer(port).getSerialNumber()).isEqualTo(cert.cert().getSerialNumber());
      TestPki.Issued next = pki.issue("next", "RSA", "localhost");
      Files.write(cert.keyFile(), Files.readAllBytes(next.keyFile()));
      Files.write(cert.certFile(), Files.readAllBytes(next.certFile()));
      long pid = stc.tree().get(0).pid();
      BigInteger serial = next.cert().getSerialNumber();
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          new ProcessBuilder("kill", "-HUP", Long.toString(pid)).start().waitFor();
          return peer(port).getSerialNumber().equals(serial);
        });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("the new certificate was never served; stc said: " + stc.stderr(), e);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> stc.stderr().contains("TLS certificates reloaded"));
      assertThat(stc.terminate()).isZero();
    }
  }

  /** Whether this process ignores SIGHUP (bit 0 of SigIgn in /proc/self/status), as its children then do. */
  private static boolean hangupIgnored() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 1) != 0;
      }
    }
    return false;
  }

  private X509Certificate peer(int port) throws Exception {
    try (SSLSocket s = (SSLSocket) pki.trustingContext().getSocketFactory().createSocket("127.0.0.1", port)) {
      s.startHandshake();
      SSLSession session = s.getSession();
      return (X509Certificate) session.getPeerCertificates()[0];
    }
  }
}
