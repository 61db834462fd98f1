package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.stc.backend.BackendOptions;
import io.stc.config.StcConfig;
import io.stc.pool.BackendStats;
import io.stc.testing.TestCluster;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The capacity limit and the FIFO queue in front of full backends, through the real proxy. */
class RequestQueueTest {
  private static final ObjectMapper json = new ObjectMapper();

  private static TestCluster cluster(double delay, int maxInflight, int queueMax, Duration queueTimeout) throws Exception {
    // The backend itself refuses more than one at a time: any overshoot by the proxy shows as a 503.
    return TestCluster.of(
        List.of(BackendOptions.defaults().withDelay(delay, 0).withMaxInflight(maxInflight)),
        c -> c.withCapacity(new StcConfig.Capacity(maxInflight, queueMax, queueTimeout)));
  }

  private static CompletableFuture<HttpResponse<String>> send(TestCluster c, String path) {
    return c.http.sendAsync(HttpRequest.newBuilder(c.uri(path)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void fullBackendsQueueRequestsAndServeThemInArrivalOrder() throws Exception {
    try (TestCluster c = cluster(0.2, 1, 100, Duration.ofSeconds(20))) {
      List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        // The first holds the only slot long enough for the others to queue behind it, however
        // slowly a busy machine sends them (with the backend's own 0.2 s, one could find it free).
        sent.add(send(c, i == 0 ? "/r0?delay=5" : "/r" + i));
        int arrived = i + 1;
        // Each request has its place (a backend slot, or in the queue) before the next is sent: a
        // known order. Counting arrivals is not enough: a request is counted before it takes its place.
        BackendStats backend = c.backend(0).stats();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> backend.inFlight() + backend.requests() + c.stc.proxy().queueDepth() == arrived);
      }
      long previous = 0;
      for (CompletableFuture<HttpResponse<String>> f : sent) {
        HttpResponse<String> r = f.get();
        assertThat(r.statusCode()).isEqualTo(200);
        long servedAs = json.readTree(r.body()).get("requests").asLong();
        assertThat(servedAs).isGreaterThan(previous);
        previous = servedAs;
      }
      assertThat(c.stc.proxy().stats().queued()).isEqualTo(4);
      assertThat(c.stc.proxy().queueDepth()).isZero();
    }
  }

  @Test
  void clientsThatLeaveWhileQueuedGiveUpTheirPlaceAndNeverReachTheBackend() throws Exception {
    try (TestCluster c = cluster(0, 1, 100, Duration.ofSeconds(20));
        Socket a = new Socket("127.0.0.1", c.stc.port());
        Socket b = new Socket("127.0.0.1", c.stc.port());
        Socket post = new Socket("127.0.0.1", c.stc.port());
        Socket h2 = new Socket("127.0.0.1", c.stc.port())) {
      // A holds the only slot; the others queue behind it.
      a.getOutputStream().write("GET /a?delay=30 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      await().atMost(Duration.ofSeconds(10)).until(() -> c.backends.get(0).inFlight() == 1);
      b.getOutputStream().write("GET /b HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      post.getOutputStream().write("POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII));
      ByteBuf frames = Unpooled.buffer();
      frames.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      frames.writeMedium(0).writeByte(4).writeByte(0).writeInt(0); // SETTINGS
      ByteBuf block = Unpooled.buffer();
      new DefaultHttp2HeadersEncoder().encodeHeaders(1,
          new DefaultHttp2Headers().method("GET").scheme("http").authority("x").path("/d"), block);
      frames.writeMedium(block.readableBytes()).writeByte(1).writeByte(1 | 4).writeInt(1).writeBytes(block);
      block.release();
      h2.getOutputStream().write(ByteBufUtil.getBytes(frames));
      frames.release();
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().queueDepth() == 3);

      // They leave: closed, closed mid-wait with a body held, and an HTTP/2 stream reset.
      b.close();
      post.close();
      h2.getOutputStream().write(new byte[] {0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 8}); // RST_STREAM 1, CANCEL
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().queueDepth() == 0);

      // The queue still works: the next one waits, and gets the slot when A's client goes.
      CompletableFuture<HttpResponse<String>> e = send(c, "/e");
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().queueDepth() == 1);
      a.close();
      HttpResponse<String> r = e.get(20, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      // The backend's own count of its answers: E's alone (A's was still being held when A left).
      // Had any of B, C or D gone to it instead of away, it would have been answered first.
      assertThat(json.readTree(r.body()).get("requests").asLong()).isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().stats().active() == 0);
    }
  }

  @Test
  void waitersTimeOutWith503() throws Exception {
    try (TestCluster c = cluster(3, 1, 100, Duration.ofMillis(300))) {
      CompletableFuture<HttpResponse<String>> slow = send(c, "/slow");
      await().atMost(Duration.ofSeconds(10)).until(() -> c.backends.get(0).inFlight() == 1);
      HttpResponse<String> waited = send(c, "/waits").get();
      assertThat(waited.statusCode()).isEqualTo(503);
      assertThat(waited.body()).contains("queue_timeout");
      assertThat(waited.headers().firstValue("Retry-After")).isPresent();
      assertThat(slow.get().statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aFullQueueRefusesAtOnce() throws Exception {
    try (TestCluster c = cluster(1, 1, 1, Duration.ofSeconds(20))) {
      CompletableFuture<HttpResponse<String>> first = send(c, "/1");
      await().atMost(Duration.ofSeconds(10)).until(() -> c.backends.get(0).inFlight() == 1);
      CompletableFuture<HttpResponse<String>> second = send(c, "/2");
      await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().queueDepth() == 1);
      HttpResponse<String> third = send(c, "/3").get();
      assertThat(third.statusCode()).isEqualTo(503);
      assertThat(third.body()).contains("queue_full");
      assertThat(first.get().statusCode()).isEqualTo(200);
      assertThat(second.get().statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theQueueIsBoundedByTheMemoryItsWaitersHold() throws Exception {
    // 64 KiB: a few small GETs (4 KiB for the connection and the head), not one upload of 100 KiB.
    try (TestCluster c = TestCluster.of(
        List.of(BackendOptions.defaults().withDelay(1, 0).withMaxInflight(1)),
        x -> x.withCapacity(new StcConfig.Capacity(1, 0, Duration.ofSeconds(20), 64 * 1024)))) {
      CompletableFuture<HttpResponse<String>> first = send(c, "/1");
      await().atMost(Duration.ofSeconds(10)).until(() -> c.backends.get(0).inFlight() == 1);
      List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        waiting.add(send(c, "/w" + i));
        int queued = i + 1;
        await().atMost(Duration.ofSeconds(10)).until(() -> c.stc.proxy().queueDepth() == queued);
      }
      HttpResponse<String> upload = c.http.send(HttpRequest.newBuilder(c.uri("/upload"))
          .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[100 * 1024])).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(upload.statusCode()).isEqualTo(503);
      assertThat(upload.body()).contains("queue_full");
      assertThat(first.get().statusCode()).isEqualTo(200);
      for (CompletableFuture<HttpResponse<String>> w : waiting) {
        assertThat(w.get().statusCode()).as("the small ones waited and were served").isEqualTo(200);
      }
    }
  }
}
