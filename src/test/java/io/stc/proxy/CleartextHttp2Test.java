package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stc.testing.Http2TestClient;
import io.stc.testing.RawHttp;
import io.stc.testing.TestCluster;
import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Cleartext HTTP/2 on the plain listener: by prior knowledge and by {@code Upgrade: h2c}, next to HTTP/1.1. */
class CleartextHttp2Test {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Thousands of streams on one connection, many at once, finishing out of order, some with
   * bodies: each answer is its own request's (a stream's state never leaks into the next stream
   * the connection serves).
   */
  @Test
  void manyStreamsOnOneConnectionEachGetTheirOwnAnswer() throws Exception {
    try (TestCluster c = TestCluster.of(2); Http2TestClient client = new Http2TestClient(c.stc.port())) {
      java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(64);
      List<CompletableFuture<Void>> checks = new java.util.ArrayList<>();
      for (int i = 0; i < 3_000; i++) {
        window.acquire();
        int n = i;
        boolean post = i % 3 == 0;
        // Delays of 0-4 ms: responses overtake one another.
        String path = "/item/" + n + "?delay=0.00" + (n % 5);
        byte[] body = post ? new byte[n % 5_000] : null;
        checks.add(client.send(post ? "POST" : "GET", path, body, null).thenAccept(r -> {
          assertThat(r.status()).as("stream for %s", path).isEqualTo(200);
          try {
            var seen = JSON.readTree(r.bodyText());
            assertThat(seen.get("path").asText()).isEqualTo("/item/" + n);
            assertThat(seen.get("method").asText()).isEqualTo(post ? "POST" : "GET");
            assertThat(seen.get("received").asLong()).isEqualTo(post ? n % 5_000 : 0);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }).whenComplete((v, e) -> window.release()));
      }
      CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      assertThat(client.isOpen()).isTrue();
    }
  }

  @Test
  void upgradeFromHttp11SwitchesTheConnectionAndServesItsRequestAsStreamOne() throws Exception {
    try (TestCluster c = TestCluster.of(2)) {
      // The JDK client asks for h2c with Upgrade on a plain URI, then speaks HTTP/2 on that connection.
      HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
      Set<String> servedBy = new HashSet<>();
      for (int i = 0; i < 6; i++) {
        HttpResponse<String> r = h2.send(
            HttpRequest.newBuilder(c.uri("/headers?i=" + i)).timeout(Duration.ofSeconds(20)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        servedBy.add(r.headers().firstValue("x-served-by").orElseThrow());
        var seen = JSON.readTree(r.body());
        assertThat(seen.get("x-forwarded-proto").asText()).isEqualTo("http");
        // The switch is between client and stc: nothing of it reaches the backend.
        assertThat(seen.has("upgrade")).isFalse();
        assertThat(seen.has("http2-settings")).isFalse();
      }
      assertThat(servedBy).hasSize(2);
      // A POST with a body does not switch (only a request without one does): served as HTTP/1.1.
      HttpResponse<String> post = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build().send(
          HttpRequest.newBuilder(c.uri("/echo")).POST(HttpRequest.BodyPublishers.ofString("hello h2c")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(post.body()).get("method").asText()).isEqualTo("POST");
      // HTTP/1.1 is untouched beside it.
      assertThat(c.get("/plain").version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    }
  }

  /**
   * Java 17's HttpClient goes on sending a body after the answer came, and when the stream is reset
   * (NO_ERROR, as RFC 9113 allows) it waits for a window that never opens, until the connection
   * idles out and the call fails. stc takes the rest of the body instead, as HAProxy does.
   */
  @Test
  void javasHttpClientGetsAnAnswerThatCameBeforeItsUploadEnded() throws Exception {
    try (TestCluster c = TestCluster.of(1)) {
      HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
      // The first request switches the connection to HTTP/2 (Upgrade: h2c); the upload is a stream on it.
      assertThat(h2.send(HttpRequest.newBuilder(c.uri("/headers")).build(), HttpResponse.BodyHandlers.ofString()).version())
          .isEqualTo(HttpClient.Version.HTTP_2);
      for (int i = 0; i < 3; i++) {
        // /headers answers as soon as the head is in, whatever body follows.
        HttpResponse<String> r = h2.sendAsync(HttpRequest.newBuilder(c.uri("/headers?upload=" + i))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1 << 20])).build(), HttpResponse.BodyHandlers.ofString())
            .get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
      }
    }
  }

  @Test
  void priorKnowledgeSpeaksHttp2FromTheFirstByte() throws Exception {
    assumeTrue(new File("/usr/bin/curl").canExecute(), "curl is installed by .ci/run");
    try (TestCluster c = TestCluster.of(1)) {
      for (String path : List.of("/a", "/b")) {
        Process curl = new ProcessBuilder("curl", "-s", "--http2-prior-knowledge", "-o", "/dev/null",
            "-w", "%{http_version} %{http_code}", c.uri(path).toString()).redirectErrorStream(true).start();
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(curl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("2 200");
      }
      assertThat(c.backends.get(0).requests()).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void aPriorKnowledgeConnectionCarriesManyStreamsAndOutlivesTheHttp1HeadTimeout() throws Exception {
    try (TestCluster c = TestCluster.of(2, cfg -> cfg.withTimeouts(cfg.timeouts().withHeader(Duration.ofMillis(300))));
        Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
      List<CompletableFuture<Http2TestClient.Response>> concurrent = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        concurrent.add(h2.send("GET", "/many?i=" + i, null, null));
      }
      for (CompletableFuture<Http2TestClient.Response> f : concurrent) {
        assertThat(f.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
      }
      // Past the HTTP/1 head timeout, the connection (HTTP/2 from its first byte) is still good.
      await().pollDelay(Duration.ofMillis(900)).atMost(Duration.ofSeconds(5)).until(h2::isOpen);
      assertThat(h2.get("/later").status()).isEqualTo(200);
      assertThat(h2.isOpen()).isTrue();
    }
  }

  @Test
  void withH2cOffThePrefaceIsRefusedAndTheUpgradeIgnored() throws Exception {
    try (TestCluster c = TestCluster.of(1, cfg -> cfg.withH2c(false))) {
      assertThat(RawHttp.exchange(c.stc.port(), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).startsWith("HTTP/1.1 505 ");
      HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()
          .send(HttpRequest.newBuilder(c.uri("/x")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    }
  }
}
