package io.stc.balance;

import io.stc.ManualClock;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Pool;
import io.stc.pool.Upstream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An upstream on a manual clock with backends named a, b, c, ... for balancer tests. */
final class PoolFixture {
  final ManualClock clock = new ManualClock(1_000_000_000_000L);
  final Upstream upstream = new Upstream(clock);

  /** Adds UP backends named a, b, c, ... with these weights. */
  static PoolFixture weights(int... weights) {
    PoolFixture f = new PoolFixture();
    for (int w : weights) {
      f.add(w);
    }
    return f;
  }

  /** Adds {@code n} UP backends of weight 1 named b0, b1, ... */
  static PoolFixture numbered(int n) {
    PoolFixture f = new PoolFixture();
    for (int i = 0; i < n; i++) {
      f.upstream.add("b" + i, "127.0.0.1", 10_000 + i, 1, BackendState.UP);
    }
    return f;
  }

  Backend add(int weight) {
    int i = upstream.pool().all().size();
    String id = i < 26 ? String.valueOf((char) ('a' + i)) : "x" + i;
    return upstream.add(id, "127.0.0.1", 10_000 + i, weight, BackendState.UP);
  }

  /** {@code balancer} with the configured weights, as {@link Algorithm} makes it when slow start is off. */
  Balancer weighted(WeightedBalancer balancer) {
    return new SlowStart(balancer, clock, Duration.ZERO);
  }

  /** {@code balancer} ramping backends in over a slow-start {@code window}. */
  Balancer slowStart(WeightedBalancer balancer, Duration window) {
    return new SlowStart(balancer, clock, window);
  }

  Pool pool() {
    return upstream.pool();
  }

  Backend get(String id) {
    return upstream.pool().find(id);
  }

  void state(String id, BackendState state) {
    upstream.setState(get(id), state, "test");
  }

  /** Ids of {@code count} successive picks. */
  List<String> picks(Balancer balancer, int count) {
    return picks(balancer, Request.NONE, count);
  }

  List<String> picks(Balancer balancer, Request request, int count) {
    String[] out = new String[count];
    for (int i = 0; i < count; i++) {
      Backend b = balancer.pick(request, pool());
      out[i] = b == null ? null : b.id();
    }
    return List.of(out);
  }

  /** How often each backend id is picked in {@code count} picks. */
  Map<String, Integer> counts(Balancer balancer, int count) {
    Map<String, Integer> m = new HashMap<>();
    for (int i = 0; i < count; i++) {
      m.merge(balancer.pick(Request.NONE, pool()).id(), 1, Integer::sum);
    }
    return m;
  }

  /** A finished request on {@code id} that took {@code millis}. */
  void finished(String id, long millis, boolean failed) {
    Backend b = get(id);
    b.stats().requestStarted();
    b.stats().requestFinished(millis * 1_000_000L, failed);
  }

  /** Leaves {@code count} requests in flight on {@code id}. */
  void inFlight(String id, int count) {
    for (int i = 0; i < count; i++) {
      get(id).stats().requestStarted();
    }
  }

  /** A request carrying a client IP, a header X-User and a cookie sid with the given values. */
  static Request request(String ip, String user, String sid) {
    return new Request() {
      @Override
      public String clientIp() {
        return ip;
      }

      @Override
      public String header(String name) {
        return name.equals("X-User") ? user : null;
      }

      @Override
      public String cookie(String name) {
        return name.equals("sid") ? sid : null;
      }
    };
  }
}
