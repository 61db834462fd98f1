package io.stc.limit;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.StcConfig.RateLimit;
import io.stc.config.StcConfig.RateLimit.Per;
import io.stc.testing.TestCluster;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RateLimitThroughProxyTest {
  private static final int BURST = 5;
  // Tokens come back every 200 ms, so on a slow machine a few more requests may pass before a 429.
  private static final int MAX_REQUESTS = 200;

  private static TestCluster cluster;

  @BeforeAll
  static void start() throws InterruptedException {
    cluster = TestCluster.of(1, c -> c.withRateLimit(new RateLimit(Per.HEADER, "X-Api-Key", 5, BURST, 1000)));
  }

  @AfterAll
  static void stop() throws InterruptedException {
    cluster.close();
  }

  @Test
  void aClientPastItsBurstGets429WithRetryAfterWhileAnotherKeyIsServed() throws Exception {
    for (int i = 0; i < BURST; i++) {
      assertThat(send("alice").statusCode()).isEqualTo(200);
    }
    HttpResponse<String> refused = firstRefusal("alice");
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");

    // Bob's bucket is untouched by Alice's.
    for (int i = 0; i < BURST; i++) {
      assertThat(send("bob").statusCode()).isEqualTo(200);
    }
    assertThat(firstRefusal("bob").statusCode()).isEqualTo(429);
  }

  @Test
  void requestsWithoutTheKeyShareOneAnonymousBucket() throws Exception {
    int served = 0;
    HttpResponse<String> last = null;
    for (int i = 0; i < MAX_REQUESTS && (last == null || last.statusCode() != 429); i++) {
      last = send(null);
      served += last.statusCode() == 200 ? 1 : 0;
    }
    assertThat(last.statusCode()).isEqualTo(429);
    assertThat(served).isGreaterThanOrEqualTo(BURST);
    assertThat(send("carol").statusCode()).isEqualTo(200);
  }

  private static HttpResponse<String> firstRefusal(String key) throws IOException, InterruptedException {
    for (int i = 0; i < MAX_REQUESTS; i++) {
      HttpResponse<String> r = send(key);
      if (r.statusCode() == 429) {
        return r;
      }
      assertThat(r.statusCode()).isEqualTo(200);
    }
    throw new AssertionError("no 429 for " + key + " within " + MAX_REQUESTS + " requests");
  }

  private static HttpResponse<String> send(String key) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(cluster.uri("/")).timeout(Duration.ofSeconds(20));
    if (key != null) {
      b.header("X-Api-Key", key);
    }
    return cluster.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
