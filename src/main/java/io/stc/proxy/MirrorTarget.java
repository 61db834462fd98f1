package io.stc.proxy;

import io.stc.config.StcConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where copies of requests go ({@code mirror}) and how many may be out at once, shared by every
 * event loop: the address is found once, as the settings are made (at start and at each reload),
 * never on an event loop.
 */
final class MirrorTarget {
  /** The mirror as a backend would be written to: its address, and the Host a request without one is given. */
  final Backend backend;
  /** The share of requests copied, in percent. */
  final double percent;
  /** How long a copy may wait for its answer before its connection is closed. */
  final long timeoutNanos;
  private final int maxInflight;
  private final AtomicInteger inflight = new AtomicInteger();

  private MirrorTarget(StcConfig.Mirror mirror, long timeoutNanos) {
    this.backend = new Backend("mirror " + Backend.idOf(mirror.host(), mirror.port()), mirror.host(), mirror.port(), 1, BackendState.UP);
    this.percent = mirror.percent();
    this.maxInflight = mirror.maxInflight();
    this.timeoutNanos = timeoutNanos;
  }

  /** The mirror {@code config} names, or null when it names none. */
  static MirrorTarget of(StcConfig config) {
    return config.mirror().enabled() ? new MirrorTarget(config.mirror(), config.timeouts().response().toNanos()) : null;
  }

  /** Takes a place for a copy; false when {@code max_inflight} copies are out already. */
  boolean tryTake() {
    while (true) {
      int n = inflight.get();
      if (n >= maxInflight) {
        return false;
      }
      if (inflight.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** A copy's place is free again (answered or failed). */
  void free() {
    inflight.decrementAndGet();
  }

  /** Copies out now. */
  int inflight() {
    return inflight.get();
  }
}
