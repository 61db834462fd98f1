package io.stc.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.ManualClock;
import io.stc.balance.Request;
import io.stc.config.StcConfig.RateLimit;
import io.stc.config.StcConfig.RateLimit.Per;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenBucketLimiterTest {
  private final ManualClock clock = new ManualClock(123_456_789L);

  @Test
  void aFullBurstPassesThenTokensComeBackAtTheRate() {
    TokenBucketLimiter limiter = byIp(10, 5, 1000);

    assertThat(takes(limiter, ip("10.0.0.1"), 5)).containsOnly(0L);
    assertThat(limiter.tryAcquire(ip("10.0.0.1"))).isEqualTo(1);

    clock.advance(Duration.ofMillis(100));
    assertThat(limiter.tryAcquire(ip("10.0.0.1"))).isZero();
    assertThat(limiter.tryAcquire(ip("10.0.0.1"))).isEqualTo(1);

    // A long pause refills to the burst, not beyond.
    clock.advance(Duration.ofSeconds(60));
    assertThat(takes(limiter, ip("10.0.0.1"), 5)).containsOnly(0L);
    assertThat(limiter.tryAcquire(ip("10.0.0.1"))).isPositive();
  }

  @Test
  void retryAfterIsTheWholeSecondsUntilOneTokenRoundedUp() {
    TokenBucketLimiter slow = byIp(0.1, 1, 1000);
    assertThat(slow.tryAcquire(ip("a"))).isZero();
    assertThat(slow.tryAcquire(ip("a"))).isEqualTo(10);
    clock.advance(Duration.ofMillis(2500));
    assertThat(slow.tryAcquire(ip("a"))).isEqualTo(8);
    clock.advance(Duration.ofMillis(7000));
    assertThat(slow.tryAcquire(ip("a"))).isEqualTo(1);
    clock.advance(Duration.ofMillis(499));
    assertThat(slow.tryAcquire(ip("a"))).isEqualTo(1);
    clock.advance(Duration.ofMillis(1));
    assertThat(slow.tryAcquire(ip("a"))).isZero();

    // Refused requests take nothing: waiting as told is always enough.
    TokenBucketLimiter halfPerSecond = byIp(0.5, 2, 1000);
    assertThat(takes(halfPerSecond, ip("b"), 2)).containsOnly(0L);
    assertThat(takes(halfPerSecond, ip("b"), 10)).containsOnly(2L);
    clock.advance(Duration.ofSeconds(2));
    assertThat(halfPerSecond.tryAcquire(ip("b"))).isZero();
  }

  @Test
  void eachClientHasItsOwnBucket() {
    TokenBucketLimiter limiter = byHeader("X-Api-Key", 1, 3, 1000);

    assertThat(takes(limiter, header("X-Api-Key", "alice"), 3)).containsOnly(0L);
    assertThat(limiter.tryAcquire(header("X-Api-Key", "alice"))).isEqualTo(1);

    assertThat(takes(limiter, header("X-Api-Key", "bob"), 3)).containsOnly(0L);
    assertThat(limiter.tryAcquire(header("X-Api-Key", "bob"))).isEqualTo(1);
  }

  @Test
  void requestsWithoutTheHeaderShareTheAnonymousBucket() {
    TokenBucketLimiter limiter = byHeader("X-Api-Key", 1, 2, 1000);

    assertThat(limiter.tryAcquire(Request.NONE)).isZero();
    assertThat(limiter.tryAcquire(header("X-Api-Key", ""))).isZero();
    assertThat(limiter.tryAcquire(header("Other", "x"))).isEqualTo(1);
    assertThat(limiter.tryAcquire(header("X-Api-Key", "carol"))).isZero();
  }

  @Test
  void ipModeKeysByAddressAndIgnoresHeaders() {
    TokenBucketLimiter limiter = byIp(1, 1, 1000);
    Request a = new Request() {
      @Override
      public String clientIp() {
        return "192.0.2.1";
      }

      @Override
      public String header(String name) {
        return "k1";
      }
    };
    Request sameIpOtherHeader = new Request() {
      @Override
      public String clientIp() {
        return "192.0.2.1";
      }

      @Override
      public String header(String name) {
        return "k2";
      }
    };
    assertThat(limiter.tryAcquire(a)).isZero();
    assertThat(limiter.tryAcquire(sameIpOtherHeader)).isEqualTo(1);
  }

  @Test
  void longKeysAreDigestedButStayDistinct() {
    TokenBucketLimiter limiter = byHeader("X-Api-Key", 1, 1, 1000);
    String prefix = "k".repeat(5000);

    assertThat(limiter.keyOf(header("X-Api-Key", prefix + "1"))).hasSizeLessThanOrEqualTo(TokenBucketLimiter.MAX_KEY_LENGTH);
    assertThat(limiter.tryAcquire(header("X-Api-Key", prefix + "1"))).isZero();
    assertThat(limiter.tryAcquire(header("X-Api-Key", prefix + "2"))).isZero();
    assertThat(limiter.tryAcquire(header("X-Api-Key", prefix + "1"))).isEqualTo(1);
  }

  @Test
  void theTableStaysWithinMaxClientsUnderTenTimesAsManyKeys() {
    int maxClients = 1000;
    TokenBucketLimiter limiter = byIp(1, 5, maxClients);
    for (int i = 0; i < 10 * maxClients; i++) {
      // Never refused: every key is new or was dropped, so it starts with a full burst.
      assertThat(limiter.tryAcquire(ip("10.1." + (i >> 8) + "." + (i & 255)))).isZero();
      assertThat(limiter.clients()).isLessThanOrEqualTo(maxClients);
    }
    assertThat(limiter.clients()).isGreaterThan(maxClients / 2);
  }

  @Test
  void fullBucketsGoBeforeTheIdlestOneSoActiveClientsKeepTheirState() {
    BucketTable table = new BucketTable(1, 2, 3, 1);
    long t = 0;
    table.take("busy", t);
    table.take("busy", t);
    assertThat(table.take("busy", t)).isPositive();
    table.take("idle-1", t);
    table.take("idle-2", t);

    // After 1 s the idle buckets are full again; "busy" is the idlest by use but still owes a token.
    t += 1_000_000_000L;
    table.take("new-1", t);
    table.take("new-2", t);
    assertThat(table.size()).isEqualTo(3);
    assertThat(table.take("busy", t)).isZero();
    assertThat(table.take("busy", t)).isPositive();
  }

  @Test
  void atCapacityTheIdlestBucketIsEvicted() {
    BucketTable table = new BucketTable(1, 1, 2, 1);
    table.take("old", 0);
    table.take("recent", 0);
    table.take("newcomer", 0);

    assertThat(table.size()).isEqualTo(2);
    // "recent" kept its empty bucket; "old" was forgotten and starts again with a full one.
    assertThat(table.take("recent", 0)).isPositive();
    assertThat(table.take("old", 0)).isZero();
  }

  @Test
  void stripingNeverExceedsMaxClients() {
    for (int max : new int[] {1, 15, 16, 17, 100, 1000, 100_000}) {
      BucketTable table = new BucketTable(1, 1, max);
      assertThat(table.capacity()).isBetween(1, max);
      assertThat(table.capacity()).isGreaterThanOrEqualTo(max - max / 16 - 64);
    }
    assertThatThrownBy(() -> new BucketTable(1, 1, 4, 8)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesAConfigWithLimitingOff() {
    assertThatThrownBy(() -> new TokenBucketLimiter(RateLimit.defaults(), clock))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private TokenBucketLimiter byIp(double rps, int burst, int maxClients) {
    return new TokenBucketLimiter(new RateLimit(Per.IP, "X-Api-Key", rps, burst, maxClients), clock);
  }

  private TokenBucketLimiter byHeader(String name, double rps, int burst, int maxClients) {
    return new TokenBucketLimiter(new RateLimit(Per.HEADER, name, rps, burst, maxClients), clock);
  }

  private static List<Long> takes(TokenBucketLimiter limiter, Request r, int n) {
    List<Long> results = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      results.add(limiter.tryAcquire(r));
    }
    return results;
  }

  private static Request ip(String address) {
    return new Request() {
      @Override
      public String clientIp() {
        return address;
      }
    };
  }

  private static Request header(String name, String value) {
    return new Request() {
      @Override
      public String header(String n) {
        return n.equals(name) ? value : null;
      }
    };
  }
}
