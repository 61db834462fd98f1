package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.stc.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsConfigTest {
  @TempDir Path dir;
  TestPki pki;
  TestPki.Issued rsa;
  TestPki.Issued ec;

  @BeforeEach
  void certificates() throws Exception {
    pki = TestPki.create(dir, "ca");
    rsa = pki.issue("rsa", "RSA", "example.com", "www.example.com");
    ec = pki.issue("ec", "EC", "example.com", "www.example.com");
  }

  private StcConfig load(String yaml) throws Exception {
    return ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml));
  }

  @Test
  void readsListenerAndBackendTlsWithDefaults() throws Exception {
    TlsConfig tls = load("tls:\n  cert: " + rsa.certFile() + "\n  key: " + rsa.keyFile()
        + "\n  backends: true\n  backend_ca: " + pki.caFile() + "\n  backend_verify: false\n").tls();
    assertThat(tls.certificates()).containsExactly(new TlsConfig.Certificate(rsa.certFile().toString(), rsa.keyFile().toString(), List.of()));
    assertThat(tls.provider()).isEqualTo("auto");
    assertThat(tls.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
    assertThat(tls.clientAuth()).isEqualTo(TlsConfig.ClientAuth.NONE);
    assertThat(tls.sessions()).isEqualTo(TlsConfig.Sessions.defaults());
    assertThat(tls.hsts()).isNull();
    assertThat(tls.watch()).isTrue();
    assertThat(tls.backends()).isTrue();
    assertThat(tls.backendCa()).isEqualTo(pki.caFile().toString());
    assertThat(tls.backendVerify()).isFalse();
    assertThat(load("").tls()).isEqualTo(TlsConfig.defaults());
    assertThat(load("").tls().enabled()).isFalse();
  }

  @Test
  void readsEveryListenerSetting() throws Exception {
    TestPki.Issued api = pki.issue("api", "EC", "api.example.com");
    TlsConfig tls = load("tls:\n"
        + "  cert: " + rsa.certFile() + "\n  key: " + rsa.keyFile() + "\n"
        + "  certificates:\n"
        + "    - {cert: " + ec.certFile() + ", key: " + ec.keyFile() + "}\n"
        + "    - cert: " + api.certFile() + "\n      key: " + api.keyFile() + "\n      names: [API.example.com, '*.api.example.com']\n"
        + "  provider: jdk\n  protocols: [TLSv1.3]\n"
        + "  client_auth: optional\n  client_ca: " + pki.caFile() + "\n"
        + "  session_cache: 500\n  session_timeout: 10m\n  ticket_keys: " + dir.resolve("keys") + "\n  ticket_key_rotation: 2h\n"
        + "  hsts: {max_age: 8760h, include_subdomains: true, preload: true}\n"
        + "  watch: false\n").tls();
    assertThat(tls.certificates()).hasSize(3);
    assertThat(tls.certificates().get(2).names()).containsExactly("api.example.com", "*.api.example.com");
    assertThat(tls.provider()).isEqualTo("jdk");
    assertThat(tls.protocols()).containsExactly("TLSv1.3");
    assertThat(tls.clientAuth()).isEqualTo(TlsConfig.ClientAuth.OPTIONAL);
    assertThat(tls.sessions()).isEqualTo(new TlsConfig.Sessions(true, 500, Duration.ofMinutes(10), dir.resolve("keys").toString(), Duration.ofHours(2)));
    assertThat(tls.hsts()).isEqualTo("max-age=31536000; includeSubDomains; preload");
    assertThat(tls.watch()).isFalse();
  }

  @Test
  void aFileHoldingCertificateAndKeyNeedsNoKeyLine() throws Exception {
    Path both = Files.writeString(dir.resolve("both.pem"), Files.readString(ec.certFile()) + Files.readString(ec.keyFile()));
    TlsConfig tls = load("tls:\n  cert: " + both + "\n").tls();
    assertThat(tls.certificates().get(0).key()).isNull();
    assertThat(PemKeyPair.read(both, null).dnsNames()).containsExactly("example.com", "www.example.com");
  }

  @Test
  void readsOpensslsOwnKeyFormats() throws Exception {
    assumeThat(Path.of("/usr/bin/openssl")).isExecutable();
    for (String kind : List.of("rsa", "ec")) {
      Path key = dir.resolve(kind + "-traditional.key");
      List<String> cmd = kind.equals("rsa")
          ? List.of("openssl", "genrsa", "-traditional", "-out", key.toString(), "2048")
          : List.of("openssl", "ecparam", "-genkey", "-name", "prime256v1", "-out", key.toString());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String text = Files.readString(key);
      assertThat(text).contains(kind.equals("rsa") ? "BEGIN RSA PRIVATE KEY" : "BEGIN EC PRIVATE KEY");
      assertThat(PemFile.read(key).privateKey().getAlgorithm()).isEqualTo(kind.equals("rsa") ? "RSA" : "EC");
    }
  }

  @Test
  void everyUnusableFileIsReportedAtItsLineBeforeAnythingStarts() throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    Path empty = Files.writeString(dir.resolve("empty.pem"), "");
    assertThatThrownBy(() -> load("port: 1\ntls:\n  cert: " + rsa.certFile() + "\n  key: " + ec.keyFile() + "\n"))
        .hasMessageContaining("stc.yaml:4: tls.key:").hasMessageContaining("does not belong to the certificate");
    assertThatThrownBy(() -> load("tls:\n  cert: " + garbage + "\n  key: " + rsa.keyFile() + "\n"))
        .hasMessageContaining("stc.yaml:2: tls.cert:").hasMessageContaining("does not parse");
    assertThatThrownBy(() -> load("tls:\n  cert: " + rsa.certFile() + "\n  key: " + empty + "\n"))
        .hasMessageContaining("stc.yaml:3: tls.key:").hasMessageContaining("no PEM block");
    assertThatThrownBy(() -> load("tls:\n  cert: " + rsa.certFile() + "\n"))
        .hasMessageContaining("stc.yaml:2: tls.cert:").hasMessageContaining("holds no private key");
    assertThatThrownBy(() -> load("tls:\n  cert: " + dir.resolve("missing.pem") + "\n  key: " + rsa.keyFile() + "\n"))
        .hasMessageContaining("stc.yaml:2: tls.cert:").hasMessageContaining("cannot read");
    assertThatThrownBy(() -> load("tls:\n  key: " + rsa.keyFile() + "\n"))
        .hasMessageContaining("stc.yaml:2: tls.key:").hasMessageContaining("needs cert");
    assertThatThrownBy(() -> load("tls:\n  certificates:\n    - {cert: " + ec.certFile() + ", key: " + rsa.keyFile() + "}\n"))
        .hasMessageContaining("stc.yaml:3: tls.certificates[0].key:");
    assertThatThrownBy(() -> load("tls:\n  backends: true\n  backend_ca: /nope.pem\n"))
        .hasMessageContaining("stc.yaml:3: tls.backend_ca:");
    assertThatThrownBy(() -> load("tls:\n  cert: " + rsa.certFile() + "\n  key: " + rsa.keyFile() + "\n  client_auth: required\n  client_ca: " + rsa.keyFile() + "\n"))
        .hasMessageContaining("stc.yaml:5: tls.client_ca:").hasMessageContaining("no certificate");
  }

  @Test
  void aRedirectingListenerNeedsTheTlsOneAndAPortOfItsOwn() throws Exception {
    String listener = "tls:\n  cert: " + rsa.certFile() + "\n  key: " + rsa.keyFile() + "\n";
    TlsConfig tls = load("port: 8443\n" + listener + "  redirect_port: 8080\n  redirect_https_port: 443\n").tls();
    assertThat(tls.redirects()).isTrue();
    assertThat(tls.redirectPort()).isEqualTo(8080);
    assertThat(tls.redirectHttpsPort()).isEqualTo(443);
    assertThat(load("port: 8443\n" + listener).tls().redirects()).isFalse();
    assertThatThrownBy(() -> load("tls:\n  backends: true\n  redirect_port: 80\n"))
        .hasMessageContaining("stc.yaml:3: tls.redirect_port:").hasMessageContaining("only with a listener certificate");
    assertThatThrownBy(() -> load("port: 8443\n" + listener + "  redirect_port: 8443\n"))
        .hasMessageContaining("tls.redirect_port:").hasMessageContaining("the listener itself");
    assertThatThrownBy(() -> load("port: 8443\n" + listener + "  redirect_https_port: 443\n"))
        .hasMessageContaining("tls.redirect_https_port:").hasMessageContaining("without redirect_port");
    assertThatThrownBy(() -> load("port: 8443\n" + listener + "  redirect_port: 70000\n"))
        .hasMessageContaining("tls.redirect_port:");
  }

  @Test
  void settingsThatWouldDoNothingOrContradictAreRefused() throws Exception {
    String listener = "tls:\n  cert: " + rsa.certFile() + "\n  key: " + rsa.keyFile() + "\n";
    assertThatThrownBy(() -> load("tls:\n  backends: true\n  hsts: {max_age: 1h}\n"))
        .hasMessageContaining("stc.yaml:3: tls.hsts:").hasMessageContaining("only with a listener certificate");
    assertThatThrownBy(() -> load(listener + "  client_auth: required\n"))
        .hasMessageContaining("stc.yaml:4: tls.client_auth:").hasMessageContaining("needs client_ca");
    assertThatThrownBy(() -> load(listener + "  client_ca: " + pki.caFile() + "\n"))
        .hasMessageContaining("stc.yaml:4: tls.client_ca:").hasMessageContaining("client_auth");
    assertThatThrownBy(() -> load(listener + "  client_auth: maybe\n  client_ca: " + pki.caFile() + "\n"))
        .hasMessageContaining("stc.yaml:4: tls.client_auth:").hasMessageContaining("none, optional or required");
    assertThatThrownBy(() -> load(listener + "  provider: gnutls\n"))
        .hasMessageContaining("stc.yaml:4: tls.provider:").hasMessageContaining("auto, openssl or jdk");
    assertThatThrownBy(() -> load(listener + "  protocols: [TLSv1.1]\n"))
        .hasMessageContaining("stc.yaml:4: tls.protocols:");
    assertThatThrownBy(() -> load(listener + "  session_timeout: 2h\n"))
        .hasMessageContaining("stc.yaml:4: tls.session_timeout:").hasMessageContaining("ticket_key_rotation");
    assertThatThrownBy(() -> load(listener + "  resumption: false\n  session_cache: 10\n"))
        .hasMessageContaining("stc.yaml:5: tls.session_cache:").hasMessageContaining("does nothing with resumption: false");
    assertThatThrownBy(() -> load(listener + "  provider: jdk\n  resumption: false\n"))
        .hasMessageContaining("stc.yaml:5: tls.resumption:").hasMessageContaining("needs the OpenSSL provider");
    assertThatThrownBy(() -> load(listener + "  session_cache: 0\n"))
        .hasMessageContaining("stc.yaml:4: tls.session_cache:");
    assertThatThrownBy(() -> load(listener + "  hsts: {max_age: 1h, preload: true}\n"))
        .hasMessageContaining("stc.yaml:4: tls.hsts.preload:");
    assertThatThrownBy(() -> load(listener + "  ticket_keys: /proc/nope/keys\n"))
        .hasMessageContaining("stc.yaml:4: tls.ticket_keys:");
    assertThatThrownBy(() -> load(listener + "  certificates:\n    - {cert: " + rsa.certFile() + ", key: " + rsa.keyFile() + "}\n"))
        .hasMessageContaining("stc.yaml:5: tls.certificates[0].cert:").hasMessageContaining("a second RSA certificate for example.com");
    assertThatThrownBy(() -> load(listener + "  certificates:\n    - {cert: " + ec.certFile() + ", key: " + ec.keyFile() + ", names: ['bad name']}\n"))
        .hasMessageContaining("tls.certificates[0].names:");
  }
}
