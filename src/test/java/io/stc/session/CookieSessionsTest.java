package io.stc.session;

import static io.stc.session.StickyFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import io.stc.ManualClock;
import io.stc.balance.Request;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class CookieSessionsTest {
  private static final byte[] KEY = "0123456789abcdef-test-key".getBytes(StandardCharsets.UTF_8);
  private static final Duration TTL = Duration.ofHours(1);
  private static final String ATTRIBUTES = "; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax";

  private final StickyFixture f = new StickyFixture();
  private final CookieSessions sessions = sessions(KEY, false, f.clock);

  private static CookieSessions sessions(byte[] key, boolean honourDraining, ManualClock clock) {
    return new CookieSessions("STC_SID", TTL, honourDraining, key, clock);
  }

  /** The cookie value from a Set-Cookie header value. */
  private static String value(String setCookie) {
    assertThat(setCookie).startsWith("STC_SID=").endsWith(ATTRIBUTES);
    return setCookie.substring("STC_SID=".length(), setCookie.length() - ATTRIBUTES.length());
  }

  private static Request with(String value) {
    return cookie("STC_SID", value);
  }

  /** A fresh cookie value for {@code backend}, as a first response would set it. */
  private String issue(CookieSessions s, Backend backend) {
    return value(s.pin(Request.NONE, backend, null));
  }

  @Test
  void firstResponseSetsASignedCookieThatLaterRequestsFollow() {
    assertThat(sessions.pinned(Request.NONE, f.pool())).isNull();

    String setCookie = sessions.pin(Request.NONE, f.b, null);
    String value = value(setCookie);

    assertThat(value).startsWith("b.").matches("b\\.[0-9a-f]+\\.[A-Za-z0-9_-]{22}");
    assertThat(sessions.pinned(with(value), f.pool())).isSameAs(f.b);
    // The client already holds a valid cookie for b: no Set-Cookie on every response.
    assertThat(sessions.pin(with(value), f.b, f.b)).isNull();
  }

  @Test
  void servedElsewhereIsRepinnedWithANewCookie() {
    String toA = issue(sessions, f.a);

    String setCookie = sessions.pin(with(toA), f.c, f.a);

    assertThat(sessions.pinned(with(value(setCookie)), f.pool())).isSameAs(f.c);
  }

  @Test
  void forgedAndTamperedCookiesAreRejected() {
    String good = issue(sessions, f.a);
    String time = good.substring(2, good.lastIndexOf('.'));
    String signature = good.substring(good.lastIndexOf('.') + 1);

    assertThat(sessions.pinned(with("b." + time + "." + signature), f.pool())).isNull();
    long issued = Long.parseLong(time, 16);
    assertThat(sessions.pinned(with("a." + Long.toHexString(issued + 1) + "." + signature), f.pool())).isNull();
    for (int i = 0; i < signature.length(); i++) {
      char flipped = signature.charAt(i) == 'A' ? 'B' : 'A';
      String tampered = "a." + time + "." + signature.substring(0, i) + flipped + signature.substring(i + 1);
      assertThat(sessions.pinned(with(tampered), f.pool())).as(tampered).isNull();
    }
    String other = issue(sessions("another-secret-key-16".getBytes(StandardCharsets.UTF_8), false, f.clock), f.a);
    assertThat(sessions.pinned(with(other), f.pool())).isNull();
    assertThat(sessions.pinned(with(good), f.pool())).isSameAs(f.a);
  }

  @Test
  void malformedCookiesAreRejected() {
    String good = issue(sessions, f.a);
    List<String> bad = List.of(
        "", "a", "a..", "..", "a.b.c", good + "x", good.substring(1), "." + good.substring(2),
        good.replace('.', ':'), good.toUpperCase(java.util.Locale.ROOT), "a.é" + good.substring(3),
        "x".repeat(SessionCookie.MAX_VALUE_LENGTH + 1), "a.1234567890abc." + "A".repeat(22));

    for (String value : bad) {
      assertThat(sessions.pinned(with(value), f.pool())).as(value).isNull();
    }
  }

  @Test
  void expiredCookiesAreRejectedAndReplaced() {
    String value = issue(sessions, f.a);

    f.clock.advance(TTL.minusSeconds(1));
    assertThat(sessions.pinned(with(value), f.pool())).isSameAs(f.a);
    f.clock.advance(Duration.ofSeconds(1));
    assertThat(sessions.pinned(with(value), f.pool())).isNull();

    String fresh = value(sessions.pin(with(value), f.a, null));
    assertThat(sessions.pinned(with(fresh), f.pool())).isSameAs(f.a);
  }

  @Test
  void cookiesDatedTooFarAheadAreRejected() {
    ManualClock ahead = new ManualClock(f.clock.nanos());
    CookieSessions other = sessions(KEY, false, ahead);
    ahead.advance(Duration.ofSeconds(CookieSessions.MAX_CLOCK_SKEW_SECONDS));
    String slightlyAhead = issue(other, f.a);
    ahead.advance(Duration.ofSeconds(1));
    String tooFarAhead = issue(other, f.a);

    assertThat(sessions.pinned(with(slightlyAhead), f.pool())).isSameAs(f.a);
    assertThat(sessions.pinned(with(tooFarAhead), f.pool())).isNull();
  }

  @Test
  void anActiveSessionGetsAFreshCookieAtHalfItsTtl() {
    String value = issue(sessions, f.a);

    f.clock.advance(TTL.dividedBy(2).minusSeconds(1));
    assertThat(sessions.pin(with(value), f.a, sessions.pinned(with(value), f.pool()))).isNull();
    f.clock.advance(Duration.ofSeconds(1));
    String refreshed = value(sessions.pin(with(value), f.a, sessions.pinned(with(value), f.pool())));

    f.clock.advance(TTL.minusSeconds(1));
    assertThat(sessions.pinned(with(value), f.pool())).isNull();
    assertThat(sessions.pinned(with(refreshed), f.pool())).isSameAs(f.a);
  }

  @Test
  void downDrainingAndRemovedBackendsLoseTheirSessions() {
    String toA = issue(sessions, f.a);
    String toB = issue(sessions, f.b);
    String toC = issue(sessions, f.c);

    f.state(f.a, BackendState.DOWN);
    f.state(f.b, BackendState.DRAINING);
    f.upstream.remove("c");

    assertThat(sessions.pinned(with(toA), f.pool())).isNull();
    assertThat(sessions.pinned(with(toB), f.pool())).isNull();
    assertThat(sessions.pinned(with(toC), f.pool())).isNull();
    Backend up = f.upstream.add("d", "127.0.0.1", 10_004, 1, BackendState.UP);
    String repinned = value(sessions.pin(with(toA), up, null));
    assertThat(sessions.pinned(with(repinned), f.pool())).isSameAs(up);

    f.state(f.a, BackendState.UP);
    assertThat(sessions.pinned(with(toA), f.pool())).isSameAs(f.a);
  }

  @Test
  void drainingBackendsKeepTheirSessionsWhenHonoured() {
    CookieSessions honouring = sessions(KEY, true, f.clock);
    String toA = issue(honouring, f.a);
    String toB = issue(honouring, f.b);

    f.state(f.a, BackendState.DRAINING);
    f.state(f.b, BackendState.DOWN);

    assertThat(honouring.pinned(with(toA), f.pool())).isSameAs(f.a);
    assertThat(honouring.pinned(with(toB), f.pool())).isNull();
  }

  @Test
  void aReAddedBackendWithTheSameIdKeepsItsCookies() {
    String toC = issue(sessions, f.c);
    f.upstream.remove("c");
    Backend again = f.upstream.add("c", "127.0.0.1", 10_003, 1, BackendState.UP);

    assertThat(sessions.pinned(with(toC), f.pool())).isSameAs(again);
  }

  @Test
  void instancesWithTheSameKeyAgree() {
    CookieSessions other = sessions(KEY.clone(), false, new ManualClock(f.clock.nanos()));

    assertThat(other.pinned(with(issue(sessions, f.b)), f.pool())).isSameAs(f.b);
    assertThat(sessions.pinned(with(issue(other, f.c)), f.pool())).isSameAs(f.c);
  }

  @Test
  void sessionsCountsCookiesIssuedWithinTheTtl() {
    for (int i = 0; i < 3; i++) {
      issue(sessions, f.a);
    }
    String toB = issue(sessions, f.b);
    assertThat(sessions.pinned(with(toB), f.pool())).isSameAs(f.b);
    assertThat(sessions.pin(with(toB), f.b, f.b)).isNull();

    assertThat(sessions.sessions(f.a)).isEqualTo(3);
    assertThat(sessions.sessions(f.b)).isEqualTo(1);
    assertThat(sessions.sessions(f.c)).isZero();

    f.clock.advance(TTL.dividedBy(2));
    issue(sessions, f.b);
    assertThat(sessions.sessions(f.b)).isEqualTo(2);

    f.clock.advance(TTL.dividedBy(2).plusSeconds(1));
    assertThat(sessions.sessions(f.a)).isZero();
    assertThat(sessions.sessions(f.b)).isEqualTo(1);
    f.clock.advance(TTL);
    assertThat(sessions.sessions(f.b)).isZero();
  }

  @Test
  void verifiesOnSeveralThreadsAtOnce() throws Exception {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      values.add(issue(sessions, i % 2 == 0 ? f.a : f.b));
    }
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        results.add(pool.submit(() -> {
          int right = 0;
          for (int round = 0; round < 20; round++) {
            for (int i = 0; i < values.size(); i++) {
              right += sessions.pinned(with(values.get(i)), f.pool()) == (i % 2 == 0 ? f.a : f.b) ? 1 : 0;
            }
          }
          return right;
        }));
      }
      for (Future<Integer> r : results) {
        assertThat(r.get()).isEqualTo(20 * values.size());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
