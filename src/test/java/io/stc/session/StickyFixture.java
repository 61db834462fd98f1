package io.stc.session;

import io.stc.ManualClock;
import io.stc.balance.Request;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Pool;
import io.stc.pool.Upstream;

/** Backends a, b and c (UP) on a manual clock, and requests carrying a client IP, header or cookie. */
final class StickyFixture {
  /** 2023-11-14T22:13:20Z, so issue times look like real ones. */
  static final long EPOCH_NANOS = 1_700_000_000L * 1_000_000_000L;

  final ManualClock clock = new ManualClock(EPOCH_NANOS);
  final Upstream upstream = new Upstream(clock);
  final Backend a = upstream.add("a", "127.0.0.1", 10_001, 1, BackendState.UP);
  final Backend b = upstream.add("b", "127.0.0.1", 10_002, 1, BackendState.UP);
  final Backend c = upstream.add("c", "127.0.0.1", 10_003, 1, BackendState.UP);

  Pool pool() {
    return upstream.pool();
  }

  void state(Backend backend, BackendState state) {
    upstream.setState(backend, state, "test");
  }

  static Request none() {
    return Request.NONE;
  }

  static Request ip(String ip) {
    return new Request() {
      @Override
      public String clientIp() {
        return ip;
      }
    };
  }

  static Request header(String name, String value) {
    return new Request() {
      @Override
      public String clientIp() {
        return "10.0.0.1";
      }

      @Override
      public String header(String n) {
        return n.equalsIgnoreCase(name) ? value : null;
      }
    };
  }

  static Request cookie(String name, String value) {
    return new Request() {
      @Override
      public String cookie(String n) {
        return n.equals(name) ? value : null;
      }
    };
  }
}
