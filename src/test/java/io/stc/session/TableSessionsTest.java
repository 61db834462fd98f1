package io.stc.session;

import static io.stc.session.StickyFixture.header;
import static io.stc.session.StickyFixture.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.stc.balance.Request;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class TableSessionsTest {
  private static final Duration TTL = Duration.ofMinutes(10);

  private final StickyFixture f = new StickyFixture();

  private TableSessions byIp(int maxSessions, boolean honourDraining) {
    return TableSessions.byClientIp(TTL, maxSessions, honourDraining, f.clock);
  }

  /** What the proxy does for one request: follow the pin, else serve on {@code fallback}, then pin. */
  private Backend serve(StickySessions s, Request r, Backend fallback) {
    Backend pinned = s.pinned(r, f.pool());
    Backend served = pinned != null ? pinned : fallback;
    assertThat(s.pin(r, served, pinned)).isNull();
    return served;
  }

  private int totalSessions(StickySessions s) {
    return s.sessions(f.a) + s.sessions(f.b) + s.sessions(f.c);
  }

  @Test
  void ipModePinsEachClientToItsFirstBackend() {
    TableSessions s = byIp(100, false);

    assertThat(s.pinned(ip("10.0.0.1"), f.pool())).isNull();
    assertThat(serve(s, ip("10.0.0.1"), f.b)).isSameAs(f.b);
    assertThat(serve(s, ip("10.0.0.2"), f.c)).isSameAs(f.c);

    assertThat(serve(s, ip("10.0.0.1"), f.a)).isSameAs(f.b);
    assertThat(serve(s, ip("10.0.0.2"), f.a)).isSameAs(f.c);
    assertThat(s.pinned(ip("10.0.0.3"), f.pool())).isNull();
  }

  @Test
  void headerModePinsOnlyRequestsThatCarryTheHeader() {
    TableSessions s = TableSessions.byHeader("X-Session", TTL, 100, false, f.clock);

    for (int i = 0; i < 50; i++) {
      serve(s, Request.NONE, f.a);
      serve(s, header("X-Other", "v" + i), f.a);
      serve(s, header("X-Session", ""), f.a);
    }
    assertThat(s.size()).isZero();

    serve(s, header("X-Session", "user-1"), f.c);
    assertThat(s.pinned(header("x-session", "user-1"), f.pool())).isSameAs(f.c);
    assertThat(s.pinned(header("X-Session", "user-2"), f.pool())).isNull();
    assertThat(s.size()).isEqualTo(1);
  }

  @Test
  void overlongKeysAreNotStored() {
    TableSessions s = TableSessions.byHeader("X-Session", TTL, 100, false, f.clock);

    serve(s, header("X-Session", "k".repeat(TableSessions.MAX_KEY_LENGTH + 1)), f.a);
    serve(s, header("X-Session", "k".repeat(TableSessions.MAX_KEY_LENGTH)), f.a);

    assertThat(s.size()).isEqualTo(1);
  }

  @Test
  void tableStaysWithinMaxSessions() {
    int max = 5_000;
    TableSessions s = byIp(max, false);
    Backend[] backends = {f.a, f.b, f.c};

    for (int i = 0; i < 10 * max; i++) {
      serve(s, ip("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255)), backends[i % 3]);
      if (i % 997 == 0) {
        assertThat(s.size()).isLessThanOrEqualTo(max);
      }
    }

    assertThat(s.size()).isLessThanOrEqualTo(max).isGreaterThan(max * 9 / 10);
    assertThat(totalSessions(s)).isEqualTo(s.size());
  }

  @Test
  void leastRecentlyUsedKeysGoFirst() {
    TableSessions s = byIp(3, false);
    serve(s, ip("1"), f.a);
    serve(s, ip("2"), f.b);
    serve(s, ip("3"), f.c);

    serve(s, ip("1"), f.c); // touched: now the most recently used
    serve(s, ip("4"), f.a);

    assertThat(s.pinned(ip("2"), f.pool())).isNull();
    assertThat(s.pinned(ip("1"), f.pool())).isSameAs(f.a);
    assertThat(s.pinned(ip("3"), f.pool())).isSameAs(f.c);
    assertThat(s.pinned(ip("4"), f.pool())).isSameAs(f.a);
    assertThat(s.sessions(f.a)).isEqualTo(2);
    assertThat(s.sessions(f.b)).isZero();
  }

  @Test
  void idleSessionsExpireAndUseKeepsThemAlive() {
    TableSessions s = byIp(100, false);
    serve(s, ip("idle"), f.a);
    serve(s, ip("busy"), f.b);

    for (int i = 0; i < 3; i++) {
      f.clock.advance(TTL.dividedBy(2));
      assertThat(s.pinned(ip("busy"), f.pool())).isSameAs(f.b);
    }

    assertThat(s.pinned(ip("idle"), f.pool())).isNull();
    assertThat(s.sessions(f.a)).isZero();
    assertThat(s.sessions(f.b)).isEqualTo(1);

    f.clock.advance(TTL.plusNanos(1));
    assertThat(s.sessions(f.b)).isZero();
    assertThat(s.size()).isZero();
  }

  @Test
  void sessionsExpireAtExactlyTheTtl() {
    TableSessions s = byIp(100, false);
    serve(s, ip("x"), f.a);

    f.clock.advance(TTL);
    assertThat(s.pinned(ip("x"), f.pool())).isSameAs(f.a);
    f.clock.advance(TTL.plusNanos(1));
    assertThat(s.pinned(ip("x"), f.pool())).isNull();
  }

  @Test
  void downDrainingAndRemovedBackendsAreRepinned() {
    TableSessions s = byIp(100, false);
    serve(s, ip("1"), f.a);
    serve(s, ip("2"), f.b);
    serve(s, ip("3"), f.c);

    f.state(f.a, BackendState.DOWN);
    f.state(f.b, BackendState.DRAINING);
    Backend removed = f.upstream.remove("c");
    Backend d = f.upstream.add("d", "127.0.0.1", 10_004, 1, BackendState.UP);

    for (String client : List.of("1", "2", "3")) {
      assertThat(s.pinned(ip(client), f.pool())).as(client).isNull();
      assertThat(serve(s, ip(client), d)).isSameAs(d);
      assertThat(s.pinned(ip(client), f.pool())).isSameAs(d);
    }
    assertThat(s.sessions(d)).isEqualTo(3);
    assertThat(s.sessions(f.a) + s.sessions(f.b) + s.sessions(removed)).isZero();

    f.state(f.a, BackendState.UP);
    assertThat(s.pinned(ip("1"), f.pool())).isSameAs(d);
  }

  @Test
  void drainingBackendsKeepTheirSessionsWhenHonoured() {
    TableSessions s = byIp(100, true);
    serve(s, ip("1"), f.a);
    serve(s, ip("2"), f.b);

    f.state(f.a, BackendState.DRAINING);
    f.state(f.b, BackendState.DOWN);

    assertThat(serve(s, ip("1"), f.c)).isSameAs(f.a);
    assertThat(serve(s, ip("2"), f.c)).isSameAs(f.c);
    assertThat(s.sessions(f.a)).isEqualTo(1);
    assertThat(s.sessions(f.b)).isZero();
    assertThat(s.sessions(f.c)).isEqualTo(1);
  }

  @Test
  void staysBoundedAndConsistentUnderTwoThreads() throws Exception {
    int max = 500;
    TableSessions s = byIp(max, false);
    Backend[] backends = {f.a, f.b, f.c};
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        long seed = t;
        done.add(threads.submit(() -> {
          SplittableRandom random = new SplittableRandom(seed);
          for (int i = 0; i < 20_000; i++) {
            Request r = ip("c" + random.nextInt(2_000));
            Backend pinned = s.pinned(r, f.pool());
            s.pin(r, pinned != null ? pinned : backends[random.nextInt(3)], pinned);
          }
        }));
      }
      for (Future<?> d : done) {
        d.get();
      }
    } finally {
      threads.shutdownNow();
    }

    assertThat(s.size()).isLessThanOrEqualTo(max).isPositive();
    assertThat(totalSessions(s)).isEqualTo(s.size());
  }
}
