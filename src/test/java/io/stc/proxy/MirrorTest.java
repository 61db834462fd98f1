package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.StcServer;
import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestClient;
import io.stc.testing.RawBackend;
import io.stc.testing.RawHttp;
import io.stc.testing.RecordingBackend;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code mirror}: a copy of each request, its body included, goes to another service whose answers
 * are dropped (nginx's {@code mirror}, Envoy's request mirroring); the client gets the backend's
 * answer only, and a mirror that is slow, down or failing changes nothing for it.
 */
class MirrorTest {
  private final List<AutoCloseable> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private StcServer stc;

  @AfterEach
  void stop() throws Exception {
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).close();
    }
  }

  private <T extends AutoCloseable> T started(T t) {
    started.add(t);
    return t;
  }

  private int stc(int backendPort, StcConfig.Mirror mirror) throws Exception {
    StcConfig cfg = RawBackend.alone(StcConfig.defaults()
            .withHost("127.0.0.1").withPort(0).withIoThreads(1)
            .withAdmin(StcConfig.Admin.defaults().withPort(0))
            .withStateDir(Files.createTempDirectory("stc-state-").toString()))
        .withMirror(mirror);
    stc = new StcServer(cfg);
    started.add(() -> stc.close(Duration.ofSeconds(5)));
    int port = stc.start();
    stc.upstream().add("b", "127.0.0.1", backendPort, 1, BackendState.UP);
    return port;
  }

  private HttpResponse<String> send(int port, String method, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private long mirrored(String outcome) {
    for (int o = 1; o < ProxyStats.MIRROR_OUTCOMES; o++) {
      if (ProxyStats.mirrorLabel(o).equals(outcome)) {
        return stc.proxy().stats().mirrored(o);
      }
    }
    throw new IllegalArgumentException(outcome);
  }

  @Test
  void everyRequestIsCopiedWithItsBodyWhateverItsFramingOrProtocol() throws Exception {
    RecordingBackend backend = started(new RecordingBackend());
    RecordingBackend shadow = started(new RecordingBackend());
    int port = stc(backend.port(), new StcConfig.Mirror("127.0.0.1", shadow.port(), 100, 100));

    assertThat(send(port, "GET", "/a?x=1", null).statusCode()).isEqualTo(200);
    assertThat(send(port, "POST", "/orders", "{\"id\":7}").statusCode()).isEqualTo(200);
    String chunked = RawHttp.exchange(port, "PUT /chunked HTTP/1.1\r\nHost: shop.example\r\nTransfer-Encoding: chunked\r\n"
        + "Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    assertThat(chunked).startsWith("HTTP/1.1 200");
    try (Http2TestClient h2 = new Http2TestClient(port)) {
      Http2TestClient.Response r = h2.send("POST", "/h2", "from h2".getBytes(StandardCharsets.UTF_8), null).get();
      assertThat(r.status()).isEqualTo(200);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> shadow.requests.size() == 4);
    assertThat(shadow.requests).hasSize(4);
    List<String> copies = new ArrayList<>(shadow.requests);
    assertThat(copies).anySatisfy(c -> assertThat(c).startsWith("GET /a?x=1 HTTP/1.1\r\n"));
    assertThat(copies).anySatisfy(c -> assertThat(c).startsWith("POST /orders HTTP/1.1\r\n").endsWith("\r\n\r\n{\"id\":7}"));
    assertThat(copies).anySatisfy(c -> assertThat(c).startsWith("PUT /chunked HTTP/1.1\r\n")
        .containsIgnoringCase("host: shop.example\r\n").endsWith("\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    // An HTTP/2 stream's body of unknown length goes chunked, as it does to an HTTP/1.1 backend.
    assertThat(copies).anySatisfy(c -> assertThat(c).startsWith("POST /h2 HTTP/1.1\r\n").endsWith("7\r\nfrom h2\r\n0\r\n\r\n"));
    // The copies are the backend's requests byte for byte, X-Forwarded-For and the rest included.
    assertThat(shadow.violations).isEmpty();
    for (String copy : copies) {
      String line = copy.substring(0, copy.indexOf("\r\n"));
      assertThat(backend.requests).anySatisfy(r -> assertThat(r).startsWith(line).contains("x-forwarded-for: 127.0.0.1"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> mirrored("2xx") == 4);
    // Answered copies leave their connection for the next: with every copy answered, the next
    // one opens none.
    int connections = shadow.connectionsAccepted();
    assertThat(connections).isBetween(1, 4);
    assertThat(send(port, "GET", "/again", null).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> mirrored("2xx") == 5);
    assertThat(shadow.connectionsAccepted()).isEqualTo(connections);
    String stats = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stc.adminPort() + "/api/stats")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(stats).contains("\"mirror\":{\"2xx\":5}");
    String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stc.adminPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("stc_mirror_requests_total{outcome=\"2xx\"} 5.0");
  }

  @Test
  void aShareOfRequestsIsCopiedEvenlyAndLongBodiesAreNot() throws Exception {
    RecordingBackend backend = started(new RecordingBackend());
    RecordingBackend shadow = started(new RecordingBackend());
    int port = stc(backend.port(), new StcConfig.Mirror("127.0.0.1", shadow.port(), 25, 100));
    for (int i = 1; i <= 40; i++) {
      assertThat(send(port, "GET", "/n" + i, null).statusCode()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> mirrored("2xx") == 10);
    assertThat(shadow.requests).extracting(r -> r.substring(0, r.indexOf(' ', 4)))
        .containsExactlyInAnyOrder("GET /n4", "GET /n8", "GET /n12", "GET /n16", "GET /n20", "GET /n24", "GET /n28", "GET /n32", "GET /n36", "GET /n40");

    // Past what stc keeps of a body (64 KiB here), the copy could not be made whole: none is sent.
    String big = "x".repeat(200 * 1024);
    for (int i = 0; i < 4; i++) {
      assertThat(send(port, "POST", "/upload", big).statusCode()).isEqualTo(200);
    }
    assertThat(backend.requests).filteredOn(r -> r.startsWith("POST /upload")).hasSize(4);
    await().atMost(Duration.ofSeconds(10)).until(() -> mirrored("too_large") == 1);
    assertThat(shadow.requests).hasSize(10);
  }

  @Test
  void aMirrorThatIsSilentDownOrFailingChangesNothingForClients() throws Exception {
    RecordingBackend backend = started(new RecordingBackend());
    // Connections are taken by the kernel and never read: copies wait for an answer that never comes.
    ServerSocket silent = started(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    int port = stc(backend.port(), new StcConfig.Mirror("127.0.0.1", silent.getLocalPort(), 100, 2));
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = send(port, "POST", "/p" + i, "body " + i);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
    }
    // Two copies out, the rest not made: nothing queues behind a mirror.
    assertThat(mirrored("busy")).isEqualTo(8);
    // The mirror goes away: the two copies fail, their places free again.
    silent.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> mirrored("failed") == 2);
    assertThat(send(port, "GET", "/after", null).statusCode()).isEqualTo(200);
    // Nothing listens there now: the copy fails, the client is served.
    await().atMost(Duration.ofSeconds(10)).until(() -> mirrored("failed") == 3);

    // A mirror answering 500 to everything: counted, never seen by the client.
    RawBackend failing = started(new RawBackend(
        r -> "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom",
        r -> r.contains("\r\n\r\n"), true));
    StcServer first = stc;
    int port2 = stc(backend.port(), new StcConfig.Mirror("127.0.0.1", failing.port(), 100, 100));
    for (int i = 0; i < 3; i++) {
      assertThat(send(port2, "GET", "/q" + i, null).body()).isEqualTo("ok");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> mirrored("5xx") == 3);
    assertThat(first.proxy().stats().mirrored(5)).isZero();
  }

  @Test
  void requestsStcTurnsAwayAreNotCopied() throws Exception {
    RecordingBackend backend = started(new RecordingBackend());
    RecordingBackend shadow = started(new RecordingBackend());
    int port = stc(backend.port(), new StcConfig.Mirror("127.0.0.1", shadow.port(), 100, 100));
    // Malformed: 400, nothing forwarded, nothing copied.
    assertThat(RawHttp.exchange(port, "GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
    // A request for a WebSocket is a conversation, not a request to repeat.
    assertThat(RawHttp.status(port, ("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1))).isEqualTo(200);
    assertThat(send(port, "GET", "/last", null).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> mirrored("2xx") == 1);
    assertThat(shadow.requests).hasSize(1);
    assertThat(shadow.requests.get(0)).startsWith("GET /last ");
  }

  @Test
  void aReloadTurnsTheMirrorOnMovesItAndTurnsItOff() throws Exception {
    RecordingBackend backend = started(new RecordingBackend());
    RecordingBackend first = started(new RecordingBackend());
    RecordingBackend second = started(new RecordingBackend());
    java.nio.file.Path file = Files.createTempDirectory("stc-mirror-").resolve("stc.yaml");
    String base = "host: 127.0.0.1\nport: 0\nio_threads: 1\nadmin: {port: 0}\nhealth: {enabled: false}\nstate_dir: "
        + file.getParent().resolve("state") + "\nbackends: [{host: 127.0.0.1, port: " + backend.port() + "}]\n";
    Files.writeString(file, base);
    stc = new StcServer(io.stc.config.ConfigLoader.load(file)).reloadFrom(() -> io.stc.config.ConfigLoader.load(file));
    started.add(() -> stc.close(Duration.ofSeconds(5)));
    int port = stc.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> send(port, "GET", "/none", null).statusCode() == 200);

    // First where nothing listens: the copy fails, and that address counts as down for a second.
    int nothing;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nothing = s.getLocalPort();
    }
    Files.writeString(file, base + "mirror: {host: 127.0.0.1, port: " + nothing + "}\n");
    stc.reload();
    await().atMost(Duration.ofSeconds(5)).until(() -> stc.proxy().configInForce().mirror().port() == nothing);
    assertThat(send(port, "GET", "/lost", null).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(5)).until(() -> mirrored("failed") == 1);
    // Moved: the new address is tried at once, not held down for the old one's failure.
    Files.writeString(file, base + "mirror: {host: 127.0.0.1, port: " + first.port() + "}\n");
    stc.reload();
    await().atMost(Duration.ofSeconds(5)).until(() -> stc.proxy().configInForce().mirror().port() == first.port());
    assertThat(send(port, "GET", "/one", null).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(5)).until(() -> first.requests.size() == 1);
    Files.writeString(file, base + "mirror: {host: 127.0.0.1, port: " + second.port() + "}\n");
    stc.reload();
    await().atMost(Duration.ofSeconds(5)).until(() -> send(port, "GET", "/two", null).statusCode() == 200 && !second.requests.isEmpty());
    Files.writeString(file, base);
    stc.reload();
    await().atMost(Duration.ofSeconds(5)).until(() -> stc.proxy().configInForce().mirror().equals(StcConfig.Mirror.defaults()));
    assertThat(send(port, "GET", "/off", null).statusCode()).isEqualTo(200);

    assertThat(backend.requests).anySatisfy(r -> assertThat(r).startsWith("GET /off "));
    List<String> all = new ArrayList<>(first.requests);
    all.addAll(second.requests);
    assertThat(all).allSatisfy(r -> assertThat(r).doesNotStartWith("GET /none ").doesNotStartWith("GET /off ").doesNotStartWith("GET /lost "));
    assertThat(first.requests).allSatisfy(r -> assertThat(r).startsWith("GET /one "));
    assertThat(second.requests).allSatisfy(r -> assertThat(r).startsWith("GET /two "));
    // The first mirror's connection is not used once the mirror moved.
    assertThat(first.connectionsAccepted()).isEqualTo(1);
  }
}
