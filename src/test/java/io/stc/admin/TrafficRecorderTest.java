package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.ManualClock;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.PoolEvent;
import io.stc.proxy.EndedExchange;
import io.stc.proxy.ProxyFailure;
import java.time.Duration;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class TrafficRecorderTest {
  final ManualClock clock = new ManualClock();
  final TrafficRecorder recorder = new TrafficRecorder(clock, null);
  final Backend b = new Backend("127.0.0.1:1", "127.0.0.1", 1, 1, BackendState.UP);

  TrafficRecorderTest() {
    recorder.onPoolEvent(new PoolEvent(PoolEvent.Kind.ADDED, b, null, "test"));
  }

  void requests(int n, int status, long latencyMillis) {
    for (int i = 0; i < n; i++) {
      recorder.exchangeEnded(new Ended("/x" + i, b, status, Duration.ofMillis(latencyMillis).toNanos()));
    }
  }

  @Test
  void ratesComeFromTheTickSamplesOverEachWindow() {
    recorder.tick();
    for (int s = 0; s < 60; s++) {
      // 10 req/s for the first 50 seconds, then 100 req/s.
      requests(s < 50 ? 10 : 100, 200, 1);
      clock.advance(Duration.ofSeconds(1));
      recorder.tick();
    }
    assertThat(recorder.rate(1)).isEqualTo(100.0);
    assertThat(recorder.rate(10)).isEqualTo(100.0);
    assertThat(recorder.rate(60)).isEqualTo((50 * 10 + 10 * 100) / 60.0);
  }

  @Test
  void rateBeforeTwoSamplesIsZero() {
    requests(5, 200, 1);
    assertThat(recorder.rate(1)).isZero();
    recorder.tick();
    assertThat(recorder.rate(10)).isZero();
  }

  @Test
  void percentilesAppearAfterATickAndResetClearsThem() {
    requests(90, 200, 10);
    requests(10, 200, 500);
    BackendTraffic t = recorder.of(b);
    assertThat(t.latencies().getTotalCount()).isZero();
    recorder.tick();
    Histogram h = t.latencies();
    assertThat(h.getTotalCount()).isEqualTo(100);
    assertThat(h.getValueAtPercentile(50) / 1000.0).isBetween(9.9, 10.1);
    assertThat(h.getValueAtPercentile(99) / 1000.0).isBetween(495.0, 505.0);

    recorder.reset();
    recorder.tick();
    assertThat(t.latencies().getTotalCount()).isZero();
    assertThat(recorder.requests()).isZero();
    // Metrics counters stay monotonic through a reset.
    assertThat(t.count(2)).isEqualTo(100);
  }

  @Test
  void failuresAreFiveHundredsAndClientAbortsAreCountedApart() {
    requests(3, 200, 1);
    requests(2, 503, 1);
    requests(1, 0, 1);
    requests(1, 404, 1);
    assertThat(recorder.requests()).isEqualTo(7);
    assertThat(recorder.failures()).isEqualTo(2);
    assertThat(recorder.clientAborts()).isEqualTo(1);
    assertThat(recorder.distribution().byBackend()).containsEntry(b, 7L);
    BackendTraffic t = recorder.of(b);
    assertThat(t.count(0)).isEqualTo(1);
    assertThat(t.count(4)).isEqualTo(1);
    assertThat(t.count(5)).isEqualTo(2);
  }

  @Test
  void durationBucketsAreNonCumulativeAndCountEverything() {
    requests(4, 200, 3);
    requests(1, 200, 120_000);
    long[] buckets = recorder.of(b).bucketCounts();
    assertThat(buckets[2]).isEqualTo(4);
    assertThat(buckets[buckets.length - 1]).isEqualTo(1);
    assertThat(java.util.Arrays.stream(buckets).sum()).isEqualTo(5);
  }

  @Test
  void recentRequestsKeepTheLastThousandNewestFirst() {
    requests(1500, 200, 1);
    var latest = recorder.recent().latest(2000);
    assertThat(latest).hasSize(1000);
    assertThat(latest.get(0).path()).isEqualTo("/x1499");
    assertThat(latest.get(999).path()).isEqualTo("/x500");
  }

  @Test
  void sparklineHistoryIsPerSecond() {
    recorder.tick();
    requests(3, 200, 1);
    recorder.tick();
    requests(7, 200, 1);
    recorder.tick();
    assertThat(recorder.of(b).recentPerSecond(20)).containsExactly(0, 3, 7);
  }

  /** A finished exchange as the proxy shows it to its listeners. */
  record Ended(String uri, Backend backend, int status, long latencyNanos) implements EndedExchange {
    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String clientIp() {
      return "10.0.0.1";
    }

    @Override
    public int attempts() {
      return backend == null ? 0 : 1;
    }

    @Override
    public String protocol() {
      return "HTTP/1.1";
    }

    @Override
    public String requestHeader(CharSequence name) {
      return null;
    }

    @Override
    public long responseBodyBytes() {
      return 0;
    }

    @Override
    public ProxyFailure failure() {
      return null;
    }

    @Override
    public String requestId() {
      return null;
    }
  }
}
