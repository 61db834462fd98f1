package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.ssl.OpenSsl;
import io.stc.config.TlsConfig;
import io.stc.testing.TestCluster;
import io.stc.testing.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The TLS listener with real handshakes on 127.0.0.1, with each provider. */
class TlsListenerTest {
  private static final String REQUEST = "GET /tls HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

  @TempDir Path dir;
  TestPki pki;
  TestPki.Issued ecLocal;
  TestPki.Issued rsaLocal;
  TestPki.Issued rsaOnly;

  @BeforeEach
  void certificates() throws Exception {
    pki = TestPki.create(dir, "ca");
    ecLocal = pki.issue("ec-local", "EC", "localhost", "both.test");
    rsaLocal = pki.issue("rsa-local", "RSA", "localhost", "both.test");
    rsaOnly = pki.issue("rsa-only", "RSA", "rsa.test", "*.wild.test");
  }

  private static void assumeProvider(String provider) {
    if (provider.equals("openssl")) {
      assumeThat(OpenSsl.isAvailable()).as("BoringSSL loads here").isTrue();
    }
  }

  private TlsConfig listener(String provider) {
    return new TlsConfig(ecLocal.certFile().toString(), ecLocal.keyFile().toString())
        .withProvider(provider)
        .withCertificates(List.of(
            new TlsConfig.Certificate(ecLocal.certFile().toString(), ecLocal.keyFile().toString(), List.of()),
            new TlsConfig.Certificate(rsaLocal.certFile().toString(), rsaLocal.keyFile().toString(), List.of()),
            new TlsConfig.Certificate(rsaOnly.certFile().toString(), rsaOnly.keyFile().toString(), List.of())));
  }

  private static TestCluster cluster(UnaryOperator<TlsConfig> tls, TlsConfig base) throws InterruptedException {
    return TestCluster.of(1, cfg -> cfg.withTls(tls.apply(base)));
  }

  /** One connection: handshake with these settings, one request, and what it took. */
  record Exchange(SSLSession session, String response) {
    X509Certificate peer() throws IOException {
      return (X509Certificate) session.getPeerCertificates()[0];
    }
  }

  private static Exchange exchange(SSLContext ctx, int port, String sni, String[] protocols, String[] suites) throws IOException {
    return exchange(ctx, port, sni, protocols, suites, REQUEST);
  }

  private static Exchange exchange(SSLContext ctx, int port, String sni, String[] protocols, String[] suites, String request)
      throws IOException {
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      SSLParameters p = s.getSSLParameters();
      p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
      if (protocols != null) {
        p.setProtocols(protocols);
      }
      if (suites != null) {
        p.setCipherSuites(suites);
      }
      s.setSSLParameters(p);
      s.startHandshake();
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      return new Exchange(s.getSession(), response);
    }
  }

  /**
   * A client context with no sessions yet. The JDK client resumes by host and port, and a resumed
   * session keeps its first server name and certificate: tests of which certificate a name gets
   * need a new context each time.
   */
  private SSLContext fresh() throws Exception {
    return pki.trustingContext();
  }

  private static Exchange exchange(SSLContext ctx, int port, String sni) throws IOException {
    return exchange(ctx, port, sni, null, null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void sniPicksTheCertificateAndAnEcdsaOneOnlyForClientsThatCanUseIt(String provider) throws Exception {
    assumeProvider(provider);
    try (TestCluster c = cluster(t -> t, listener(provider))) {
      int port = c.stc.port();
      assertThat(c.stc.proxy().tlsProvider()).isEqualTo(provider);
      assertThat(exchange(fresh(), port, "localhost").peer()).isEqualTo(ecLocal.cert());
      assertThat(exchange(fresh(), port, "both.test").peer()).isEqualTo(ecLocal.cert());
      assertThat(exchange(fresh(), port, "rsa.test").peer()).isEqualTo(rsaOnly.cert());
      assertThat(exchange(fresh(), port, "deep.wild.test").peer()).isEqualTo(rsaOnly.cert());
      // Wildcards cover one label only, and unknown names get the default.
      assertThat(exchange(fresh(), port, "a.deep.wild.test").peer()).isEqualTo(ecLocal.cert());
      assertThat(exchange(fresh(), port, "unknown.test").peer()).isEqualTo(ecLocal.cert());
      assertThat(exchange(fresh(), port, null).peer()).isEqualTo(ecLocal.cert());
      // A client with RSA suites only gets the RSA certificate of the same name.
      Exchange rsaClient = exchange(fresh(), port, "both.test", new String[] {"TLSv1.2"},
          new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
      assertThat(rsaClient.peer()).isEqualTo(rsaLocal.cert());
      assertThat(rsaClient.response()).startsWith("HTTP/1.1 200");
      assertThat(exchange(fresh(), port, null, new String[] {"TLSv1.2"},
          new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}).peer()).isEqualTo(rsaLocal.cert());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void aSecondConnectionResumesTheSession(String provider) throws Exception {
    assumeProvider(provider);
    try (TestCluster c = cluster(t -> t, listener(provider))) {
      int port = c.stc.port();
      SSLContext ctx = pki.trustingContext();
      String[] tls12 = {"TLSv1.2"};
      Exchange first = exchange(ctx, port, "localhost", tls12, null);
      Exchange second = exchange(ctx, port, "localhost", tls12, null);
      assertThat(first.response()).startsWith("HTTP/1.1 200");
      // The JDK client hands back the very session it cached: resumed, not negotiated afresh.
      assertThat(second.session().getId()).isEqualTo(first.session().getId());
      assertThat(second.session().getCreationTime()).isEqualTo(first.session().getCreationTime());

      // TLS 1.3 (tickets) and TLS 1.2 without tickets (the server's session cache), as openssl sees them.
      assumeThat(Path.of("/usr/bin/openssl")).isExecutable();
      assertThat(opensslResumes(port, port, "-tls1_3")).isTrue();
      assertThat(opensslResumes(port, port, "-tls1_2", "-no_ticket")).isTrue();
    }
  }

  @Test
  void withResumptionOffEveryHandshakeIsAFullOne() throws Exception {
    assumeProvider("openssl");
    assumeThat(Path.of("/usr/bin/openssl")).isExecutable();
    try (TestCluster c = cluster(t -> t.withSessions(TlsConfig.Sessions.none()), listener("openssl"))) {
      int port = c.stc.port();
      assertThat(opensslResumes(port, port, "-tls1_3")).isFalse();
      assertThat(opensslResumes(port, port, "-tls1_2")).isFalse();
      assertThat(opensslResumes(port, port, "-tls1_2", "-no_ticket")).isFalse();
      assertThat(Files.list(c.stateDir).map(p -> p.getFileName().toString())).doesNotContain("tls-ticket-keys");
    }
  }

  @Test
  void replicasSharingTheTicketKeysResumeEachOthersSessions() throws Exception {
    assumeProvider("openssl");
    assumeThat(Path.of("/usr/bin/openssl")).isExecutable();
    Path keys = dir.resolve("shared-ticket-keys");
    UnaryOperator<TlsConfig> shared = t -> t.withSessions(
        new TlsConfig.Sessions(true, 1000, Duration.ofMinutes(5), keys.toString(), Duration.ofHours(1)));
    try (TestCluster a = cluster(shared, listener("openssl"));
        TestCluster b = cluster(shared, listener("openssl"));
        TestCluster alone = cluster(t -> t, listener("openssl"))) {
      assertThat(keys).exists();
      assertThat(opensslResumes(a.stc.port(), b.stc.port(), "-tls1_3")).isTrue();
      assertThat(opensslResumes(b.stc.port(), a.stc.port(), "-tls1_2")).isTrue();
      // A replica with keys of its own does not: the resumption above came from the shared file.
      assertThat(opensslResumes(a.stc.port(), alone.stc.port(), "-tls1_3")).isFalse();
    }
  }

  /** Whether a session from {@code firstPort} resumes at {@code secondPort}, by openssl s_client. */
  private boolean opensslResumes(int firstPort, int secondPort, String... flags) throws Exception {
    Path sess = Files.createTempFile(dir, "sess", ".pem");
    String first = sClient(firstPort, sess, "-sess_out", flags);
    assertThat(first).contains("New, TLS");
    if (Files.size(sess) == 0) {
      // No session to keep: nothing to resume with (TLS 1.3 without a ticket).
      return false;
    }
    String second = sClient(secondPort, sess, "-sess_in", flags);
    return second.contains("Reused, TLS");
  }

  private static String sClient(int port, Path sess, String sessFlag, String... flags) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + port,
        "-servername", "localhost", "-ign_eof", sessFlag, sess.toString()));
    cmd.addAll(List.of(flags));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    // A request, so a TLS 1.3 ticket (sent after the handshake) arrives before the connection ends.
    p.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).contains("HTTP/1.1 200");
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void clientCertificatesRequiredOptionalOrNone(String provider) throws Exception {
    assumeProvider(provider);
    TestPki clients = TestPki.create(dir, "client-ca");
    TestPki.Issued alice = clients.issue("alice", "EC", "alice");
    TestPki strangers = TestPki.create(dir, "other-ca");
    TestPki.Issued mallory = strangers.issue("mallory", "RSA", "mallory");
    SSLContext anonymous = pki.trustingContext();
    SSLContext withAlice = alice.clientContext(pki.caCert());
    SSLContext withMallory = mallory.clientContext(pki.caCert());

    TlsConfig base = listener(provider);
    try (TestCluster required = cluster(t -> t.withClientAuth(TlsConfig.ClientAuth.REQUIRED).withClientCa(clients.caFile().toString()), base)) {
      int port = required.stc.port();
      Exchange ok = exchange(withAlice, port, "localhost");
      assertThat(ok.response()).startsWith("HTTP/1.1 200");
      assertThat(ok.session().getLocalCertificates()).containsExactly(alice.cert());
      assertRefused(anonymous, port);
      assertRefused(withMallory, port);
    }
    try (TestCluster optional = cluster(t -> t.withClientAuth(TlsConfig.ClientAuth.OPTIONAL).withClientCa(clients.caFile().toString()), base)) {
      int port = optional.stc.port();
      assertThat(exchange(anonymous, port, "localhost").response()).startsWith("HTTP/1.1 200");
      Exchange ok = exchange(withAlice, port, "localhost");
      assertThat(ok.response()).startsWith("HTTP/1.1 200");
      assertThat(ok.session().getLocalCertificates()).containsExactly(alice.cert());
      assertRefused(withMallory, port);
    }
    try (TestCluster none = cluster(t -> t, base)) {
      // Never asked for one: the client's certificate stays with the client.
      Exchange ok = exchange(withAlice, none.stc.port(), "localhost");
      assertThat(ok.response()).startsWith("HTTP/1.1 200");
      assertThat(ok.session().getLocalCertificates()).isNull();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void theBackendIsToldWhichCertificateTheClientAuthenticatedWithAndNoClientCanForgeIt(String provider) throws Exception {
    assumeProvider(provider);
    TestPki clients = TestPki.create(dir, "client-ca");
    TestPki.Issued alice = clients.issue("alice", "EC", "alice", "alice.example");
    String forged = "GET /headers HTTP/1.1\r\nHost: x\r\nX-Forwarded-Client-Cert: Hash=00;Subject=\"CN=root\"\r\n"
        + "Connection: close\r\n\r\n";
    try (TestCluster c = cluster(t -> t.withClientAuth(TlsConfig.ClientAuth.OPTIONAL).withClientCa(clients.caFile().toString()),
        listener(provider))) {
      int port = c.stc.port();
      String told = exchange(alice.clientContext(pki.caCert()), port, "localhost", null, null, forged).response();
      String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(alice.cert().getEncoded()));
      assertThat(told).startsWith("HTTP/1.1 200")
          .contains("\"x-forwarded-client-cert\":\"Hash=" + hash + ";Subject=\\\"CN=alice\\\";DNS=alice;DNS=alice.example\"");
      String anonymous = exchange(pki.trustingContext(), port, "localhost", null, null, forged).response();
      assertThat(anonymous).startsWith("HTTP/1.1 200").doesNotContain("x-forwarded-client-cert");
    }
  }

  /** The handshake or the first read fails, and no response arrives (TLS 1.3 reports a refused certificate after the handshake). */
  private static void assertRefused(SSLContext ctx, int port) {
    assertThatThrownBy(() -> {
      String response = exchange(ctx, port, "localhost").response();
      if (response.isEmpty()) {
        throw new IOException("closed without a response");
      }
    }).isInstanceOf(IOException.class);
  }

  @Test
  void clientInitiatedRenegotiationIsRefusedByOpenSsl() throws Exception {
    assumeProvider("openssl");
    // The JDK provider's refusal is a JVM-wide switch set before the first server handshake: TlsServeIT checks it in a fresh stc.
    try (TestCluster c = cluster(t -> t, listener("openssl"))) {
      assertRenegotiationRefused(pki.trustingContext(), c.stc.port(), "HTTP/1.1 200");
    }
  }

  /** A TLS 1.2 client that renegotiates after a first exchange gets an alert, never a second handshake or answer. */
  static void assertRenegotiationRefused(SSLContext ctx, int port, String firstAnswer) throws Exception {
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      AtomicInteger handshakes = new AtomicInteger();
      s.addHandshakeCompletedListener(e -> handshakes.incrementAndGet());
      s.startHandshake();
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write("GET /one HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] buf = new byte[4096];
      assertThat(new String(buf, 0, in.read(buf), StandardCharsets.ISO_8859_1)).startsWith(firstAnswer);
      assertThatThrownBy(() -> {
        s.startHandshake();
        out.write("GET /two HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        if (in.read(buf) < 0) {
          throw new IOException("closed");
        }
      }).isInstanceOf(IOException.class);
      // The JDK tells handshake listeners from a thread of its own: the first one may come late.
      await().atMost(Duration.ofSeconds(10)).until(() -> handshakes.get() >= 1);
      assertThat(handshakes.get()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void certificatesSwappedUnderLoadFailNoRequest(String provider) throws Exception {
    assumeProvider(provider);
    // The certificate that gets replaced, in files of its own so the test can rewrite them.
    Path cert = dir.resolve("live.crt");
    Path key = dir.resolve("live.key");
    Files.copy(ecLocal.certFile(), cert);
    Files.copy(ecLocal.keyFile(), key);
    TlsConfig tls = listener(provider).withCertificates(List.of(
        new TlsConfig.Certificate(cert.toString(), key.toString(), List.of()),
        new TlsConfig.Certificate(rsaOnly.certFile().toString(), rsaOnly.keyFile().toString(), List.of())));
    try (TestCluster c = cluster(t -> t, tls)) {
      int port = c.stc.port();
      SSLContext trusting = pki.trustingContext();
      AtomicBoolean stop = new AtomicBoolean();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      AtomicLong requests = new AtomicLong();
      List<Thread> load = new ArrayList<>();
      // New connections (a full handshake each: a fresh client context has no session to resume)...
      for (int i = 0; i < 3; i++) {
        load.add(new Thread(() -> {
          while (!stop.get()) {
            try {
              SSLContext fresh = pki.trustingContext();
              String r = exchange(fresh, port, "localhost").response();
              if (!r.startsWith("HTTP/1.1 200")) {
                failures.add(new AssertionError("answered " + r.lines().findFirst().orElse("nothing")));
              }
              requests.incrementAndGet();
            } catch (Exception e) {
              failures.add(e);
            }
          }
        }, "tls-load-" + i));
      }
      // ...and an HTTP/2 connection kept open across every swap.
      HttpClient h2 = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_2).build();
      load.add(new Thread(() -> {
        while (!stop.get()) {
          try {
            HttpResponse<String> r = h2.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/h2"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
              failures.add(new AssertionError("HTTP/2 answered " + r.statusCode()));
            }
            requests.incrementAndGet();
          } catch (Exception e) {
            failures.add(e);
          }
        }
      }, "tls-load-h2"));
      load.forEach(Thread::start);
      try {
        for (int round = 0; round < 6; round++) {
          TestPki.Issued next = pki.issue("next-" + round, round % 2 == 0 ? "RSA" : "EC", "localhost");
          long before = requests.get();
          // Key first, then the certificate, each file rewritten in place: for a moment they do not match.
          Files.write(key, Files.readAllBytes(next.keyFile()));
          Files.write(cert, Files.readAllBytes(next.certFile()));
          if (round % 2 == 1) {
            // A reload racing the watch must not hurt either.
            c.stc.proxy().reloadTls(tls);
          }
          BigInteger serial = next.cert().getSerialNumber();
          await().atMost(Duration.ofSeconds(30)).until(() ->
              exchange(fresh(), port, "localhost").peer().getSerialNumber().equals(serial));
          await().atMost(Duration.ofSeconds(30)).until(() -> requests.get() > before + 5);
          assertThat(exchange(fresh(), port, "rsa.test").peer()).isEqualTo(rsaOnly.cert());
        }
      } finally {
        stop.set(true);
        for (Thread t : load) {
          t.join(30_000);
        }
      }
      assertThat(failures).isEmpty();
      assertThat(requests.get()).isGreaterThan(30);
    }
  }

  @Test
  void hstsGoesOnEveryResponseOverHttp1AndHttp2StcsOwnAnswersToo() throws Exception {
    try (TestCluster c = cluster(t -> t.withHsts("max-age=31536000; includeSubDomains"), listener("auto"))) {
      SSLContext trusting = pki.trustingContext();
      assertThat(exchange(trusting, c.stc.port(), "localhost").response().toLowerCase())
          .contains("\r\nstrict-transport-security: max-age=31536000; includesubdomains\r\n");
      HttpClient h2 = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_2).build();
      HttpResponse<String> r = h2.send(HttpRequest.newBuilder(URI.create("https://localhost:" + c.stc.port() + "/h2")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(r.headers().allValues("strict-transport-security")).containsExactly("max-age=31536000; includeSubDomains");
      // No backend left: stc's own 503 says it as well, as a browser must hear it on whatever answer comes.
      c.stc.upstream().pool().all().forEach(b -> c.stc.upstream().remove(b.id()));
      HttpResponse<String> own = h2.send(HttpRequest.newBuilder(URI.create("https://localhost:" + c.stc.port() + "/gone")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(own.statusCode()).isEqualTo(503);
      assertThat(own.headers().allValues("strict-transport-security")).containsExactly("max-age=31536000; includeSubDomains");
    }
    try (TestCluster plain = cluster(t -> t, listener("auto"))) {
      assertThat(exchange(pki.trustingContext(), plain.stc.port(), "localhost").response().toLowerCase())
          .doesNotContain("strict-transport-security");
    }
  }
}
