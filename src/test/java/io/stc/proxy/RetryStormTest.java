package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.StcServer;
import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A pool that fails every request is not sent each one three times: retries come out of a budget
 * (a fifth of the requests, and ten a second), where without it every request made all its tries.
 * A backend that fails alone is still retried around within the same budget, until its breaker takes it out.
 */
class RetryStormTest {
  private static final int REQUESTS = 200;
  /** The proxy's clock stands still, so the budget's whole ten-second window is the test's. */
  private static final io.stc.Clock STILL = () -> 42L * 1_000_000_000L;

  /** Backends that close each connection as soon as its request is in: an attempt that failed before any response. */
  private static List<RawBackend> failing(int n) throws Exception {
    List<RawBackend> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new RawBackend(r -> "", r -> r.contains("\r\n\r\n"), true));
    }
    return out;
  }

  private static int attempts(List<RawBackend> backends) {
    return backends.stream().mapToInt(b -> b.received.size()).sum();
  }

  /** Runs {@link #REQUESTS} GETs through a stc in front of {@code backends}; returns the statuses' count of 200. */
  private static int run(StcServer stc, List<RawBackend> backends) throws Exception {
    int port = stc.start();
    for (RawBackend b : backends) {
      stc.upstream().add("b" + b.port(), "127.0.0.1", b.port(), 1, BackendState.UP);
    }
    HttpClient http = HttpClient.newHttpClient();
    int ok = 0;
    for (int i = 0; i < REQUESTS; i++) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/r" + i)).build(),
          HttpResponse.BodyHandlers.ofString());
      ok += r.statusCode() == 200 ? 1 : 0;
    }
    return ok;
  }

  private static StcConfig config(int budget) throws Exception {
    return RawBackend.alone(StcConfig.defaults()
            .withHost("127.0.0.1").withPort(0).withIoThreads(2)
            .withAdmin(StcConfig.Admin.defaults().withPort(0))
            .withStateDir(Files.createTempDirectory("stc-state-").toString()))
        .withRetries(2)
        .withRetryBudget(budget);
  }

  @Test
  void aPoolThatFailsEverythingGetsLittleMoreThanItsOwnTraffic() throws Exception {
    List<RawBackend> unbudgeted = failing(3);
    StcServer off = new StcServer(config(StcConfig.NO_RETRY_BUDGET), STILL);
    try {
      assertThat(run(off, unbudgeted)).isZero();
      assertThat(attempts(unbudgeted)).as("without a budget, every try").isEqualTo(3 * REQUESTS);
    } finally {
      off.close(Duration.ofSeconds(5));
      for (RawBackend b : unbudgeted) {
        b.close();
      }
    }

    List<RawBackend> budgeted = failing(3);
    StcServer on = new StcServer(config(20), STILL);
    try {
      assertThat(run(on, budgeted)).isZero();
      long retries = on.proxy().stats().retries();
      // Two loops: each may retry a fifth of its requests and half of the floor's hundred.
      assertThat(retries).isPositive().isLessThanOrEqualTo((long) (RetryBudget.MIN_PER_SECOND * 10 + 0.2 * REQUESTS + 2));
      assertThat(attempts(budgeted)).isEqualTo(REQUESTS + (int) retries);
      assertThat(on.proxy().stats().retriesDenied()).isPositive();
    } finally {
      on.close(Duration.ofSeconds(5));
      for (RawBackend b : budgeted) {
        b.close();
      }
    }
  }

  @Test
  void aBackendThatFailsAloneIsStillRetriedAround() throws Exception {
    List<RawBackend> backends = new ArrayList<>(failing(1));
    for (int i = 0; i < 2; i++) {
      backends.add(new RawBackend(r -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", r -> r.contains("\r\n\r\n"), true));
    }
    // As by default, a breaker takes the dead one out after a few failures (round robin sends every
    // other request to it first while it is in: each try moves the robin on).
    StcServer stc = new StcServer(config(20).withCircuitBreaker(StcConfig.CircuitBreakerConfig.defaults()), STILL);
    try {
      int ok = run(stc, backends);
      StringBuilder why = new StringBuilder();
      for (ProxyFailure f : ProxyFailure.values()) {
        if (stc.proxy().stats().failures(f) > 0) {
          why.append(f).append('=').append(stc.proxy().stats().failures(f)).append(' ');
        }
      }
      assertThat(ok).as("every request answered by a live backend (retries %d, denied %d, failures %s)",
          stc.proxy().stats().retries(), stc.proxy().stats().retriesDenied(), why).isEqualTo(REQUESTS);
      assertThat(stc.proxy().stats().retries()).isPositive();
      assertThat(stc.proxy().stats().retriesDenied()).isZero();
    } finally {
      stc.close(Duration.ofSeconds(5));
      for (RawBackend b : backends) {
        b.close();
      }
    }
  }
}
