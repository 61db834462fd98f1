package io.stc.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DemoBackendTest {
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final List<DemoBackend> started = new ArrayList<>();

  @AfterEach
  void closeBackends() {
    started.forEach(DemoBackend::close);
  }

  private DemoBackend start(BackendOptions options) {
    DemoBackend backend = DemoBackend.started(options);
    started.add(backend);
    return backend;
  }

  private URI uri(DemoBackend backend, String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + backend.port() + pathAndQuery);
  }

  private HttpResponse<String> get(DemoBackend backend, String pathAndQuery) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(uri(backend, pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private CompletableFuture<HttpResponse<String>> getAsync(DemoBackend backend, String pathAndQuery) {
    return client.sendAsync(HttpRequest.newBuilder(uri(backend, pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(DemoBackend backend, String path) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(uri(backend, path)).POST(HttpRequest.BodyPublishers.noBody()).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answersJsonEchoAndCountsRequests() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults().withName("b1"));

    HttpResponse<String> first = get(backend, "/a/b?x=1");
    HttpResponse<String> second = get(backend, "/c");

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("content-type")).hasValue("application/json");
    JsonObject body = new JsonObject(first.body());
    assertThat(body.getString("server")).isEqualTo("b1");
    assertThat(body.getString("method")).isEqualTo("GET");
    assertThat(body.getString("path")).isEqualTo("/a/b");
    assertThat(body.getLong("requests")).isEqualTo(1);
    assertThat(body.getLong("received")).isZero();
    assertThat(new JsonObject(second.body()).getLong("requests")).isEqualTo(2);
    assertThat(backend.requests()).isEqualTo(2);
  }

  @Test
  void defaultNameCarriesThePort() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults());

    assertThat(backend.name()).isEqualTo("backend-" + backend.port());
    assertThat(new JsonObject(get(backend, "/").body()).getString("server")).isEqualTo(backend.name());
  }

  @Test
  void delayedRequestIsStillPendingWhileAFastOneCompletes() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults().withDelay(60, 0));

    CompletableFuture<HttpResponse<String>> slow = getAsync(backend, "/slow");
    await().until(() -> backend.inFlight() == 1);
    HttpResponse<String> fast = get(backend, "/fast?delay=0");

    assertThat(fast.statusCode()).isEqualTo(200);
    assertThat(slow).isNotDone();
    assertThat(backend.inFlight()).isEqualTo(1);
  }

  @Test
  void delayQueryParameterEventuallyAnswers() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults());

    HttpResponse<String> response = getAsync(backend, "/later?delay=0.05").get();

    assertThat(response.statusCode()).isEqualTo(200);
    // Released once the response is fully written, which the client may see a moment before.
    await().atMost(java.time.Duration.ofSeconds(10)).until(() -> backend.inFlight() == 0);
  }

  @Test
  void errorRateOneAnswers500() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults().withErrorRate(1.0));

    for (int i = 0; i < 5; i++) {
      HttpResponse<String> response = get(backend, "/x");
      assertThat(response.statusCode()).isEqualTo(500);
      assertThat(new JsonObject(response.body()).getString("error")).isEqualTo("injected failure");
    }
    assertThat(get(backend, "/health").statusCode()).isEqualTo(200);
  }

  @Test
  void statusQueryParameterChoosesTheStatus() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults());

    assertThat(get(backend, "/x?status=418").statusCode()).isEqualTo(418);
    assertThat(get(backend, "/x?status=204").statusCode()).isEqualTo(204);
    assertThat(get(backend, "/x?status=abc").statusCode()).isEqualTo(400);
    assertThat(get(backend, "/x?delay=-1").statusCode()).isEqualTo(400);
  }

  @Test
  void overCapacityAnswers503AtOnce() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults().withMaxInflight(1).withDelay(60, 0));

    CompletableFuture<HttpResponse<String>> first = getAsync(backend, "/slow");
    await().until(() -> backend.inFlight() == 1);
    HttpResponse<String> second = get(backend, "/slow");

    assertThat(second.statusCode()).isEqualTo(503);
    assertThat(new JsonObject(second.body()).getString("error")).isEqualTo("over capacity");
    assertThat(first).isNotDone();
  }

  @Test
  void theInstanceModelSlowsEachRequestByTheOthersInFlight() throws Exception {
    // 100 ms alone on an instance of capacity 2, no noise: one more in flight adds 50 ms.
    DemoBackend backend = start(BackendOptions.defaults().withModel(0.1, 2, InstanceModel.Noise.NONE));
    HttpResponse<String> alone = get(backend, "/x");
    assertThat(alone.statusCode()).isEqualTo(200);
    assertThat(alone.headers().firstValue("X-Service-Time")).hasValue("0.1000");

    CompletableFuture<HttpResponse<String>> first = getAsync(backend, "/x?delay=60");
    CompletableFuture<HttpResponse<String>> second = getAsync(backend, "/x?delay=60");
    await().until(() -> backend.inFlight() == 2);
    HttpResponse<String> third = get(backend, "/x");
    assertThat(third.headers().firstValue("X-Service-Time")).as("two others in flight").hasValue("0.2000");
    assertThat(first).isNotDone();
    assertThat(second).isNotDone();
  }

  @Test
  void capacityFreesUpWhenARequestCompletes() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults().withMaxInflight(1));

    for (int i = 0; i < 3; i++) {
      assertThat(get(backend, "/x").statusCode()).isEqualTo(200);
    }
    await().atMost(java.time.Duration.ofSeconds(10)).until(() -> backend.inFlight() == 0);
  }

  @Test
  void failAndRecoverToggleEveryPath() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults());
    assertThat(new JsonObject(get(backend, "/health").body()).getString("status")).isEqualTo("UP");

    assertThat(post(backend, "/control/fail").statusCode()).isEqualTo(200);
    assertThat(get(backend, "/health").statusCode()).isEqualTo(503);
    assertThat(new JsonObject(get(backend, "/health").body()).getString("status")).isEqualTo("DOWN");
    assertThat(get(backend, "/anything").statusCode()).isEqualTo(503);
    assertThat(get(backend, "/bytes/10").statusCode()).isEqualTo(503);

    assertThat(post(backend, "/control/recover").statusCode()).isEqualTo(200);
    assertThat(get(backend, "/health").statusCode()).isEqualTo(200);
    assertThat(get(backend, "/anything").statusCode()).isEqualTo(200);
    assertThat(backend.requests()).isEqualTo(1);
  }

  @Test
  void controlNeedsPost() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults());

    assertThat(get(backend, "/control/fail").statusCode()).isEqualTo(405);
    assertThat(post(backend, "/control/explode").statusCode()).isEqualTo(404);
    assertThat(backend.failing()).isFalse();
  }

  @Test
  void bytesStreamsExactlyN() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults());
    long n = 3L * BytesResponse.CHUNK + 123;

    HttpResponse<byte[]> response =
        client.send(HttpRequest.newBuilder(uri(backend, "/bytes/" + n)).build(), HttpResponse.BodyHandlers.ofByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValueAsLong("content-length")).hasValue(n);
    assertThat(response.body()).hasSize((int) n).containsOnly((byte) 'x');
    assertThat(get(backend, "/bytes/0").body()).isEmpty();
    assertThat(get(backend, "/bytes/-1").statusCode()).isEqualTo(400);
    assertThat(get(backend, "/bytes/lots").statusCode()).isEqualTo(400);
  }

  @Test
  void uploadIsCountedWhetherChunkedOrSized() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults());
    long size = 5L * 1024 * 1024 + 7;

    HttpRequest chunked =
        HttpRequest.newBuilder(uri(backend, "/upload"))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new FillerStream(size)))
            .build();
    HttpRequest sized =
        HttpRequest.newBuilder(uri(backend, "/upload")).PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1000])).build();

    JsonObject chunkedBody = new JsonObject(client.send(chunked, HttpResponse.BodyHandlers.ofString()).body());
    JsonObject sizedBody = new JsonObject(client.send(sized, HttpResponse.BodyHandlers.ofString()).body());

    assertThat(chunkedBody.getLong("received")).isEqualTo(size);
    assertThat(chunkedBody.getString("method")).isEqualTo("POST");
    assertThat(sizedBody.getLong("received")).isEqualTo(1000);
    assertThat(sizedBody.getString("method")).isEqualTo("PUT");
  }

  @Test
  void headersEchoesRequestHeadersLowerCasedAndJoined() throws Exception {
    DemoBackend backend = start(BackendOptions.defaults());
    HttpRequest request =
        HttpRequest.newBuilder(uri(backend, "/headers"))
            .header("X-Test", "a")
            .header("X-Multi", "1")
            .header("X-Multi", "2")
            .build();

    JsonObject body = new JsonObject(client.send(request, HttpResponse.BodyHandlers.ofString()).body());

    assertThat(body.getString("x-test")).isEqualTo("a");
    assertThat(body.getString("x-multi")).isEqualTo("1, 2");
    assertThat(body.getString("host")).isEqualTo("127.0.0.1:" + backend.port());
    assertThat(body.fieldNames()).allMatch(name -> name.equals(name.toLowerCase()));
  }

  @Test
  void busyPortFailsWithAClearMessage() {
    DemoBackend first = start(BackendOptions.defaults());
    DemoBackend second = new DemoBackend(new BackendOptions(null, "127.0.0.1", first.port(), 0, 0, 0, 0));

    assertThatThrownBy(second::start)
        .isInstanceOf(BackendStartException.class)
        .hasMessageContaining("cannot listen on 127.0.0.1:" + first.port());
  }

  /** Generates N bytes on the fly so the test never holds a large upload in memory either. */
  private static final class FillerStream extends InputStream {
    private long remaining;

    FillerStream(long size) {
      this.remaining = size;
    }

    @Override
    public int read() {
      if (remaining == 0) {
        return -1;
      }
      remaining--;
      return 'u';
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (remaining == 0) {
        return -1;
      }
      int n = (int) Math.min(len, remaining);
      Arrays.fill(b, off, off + n, (byte) 'u');
      remaining -= n;
      return n;
    }
  }
}
