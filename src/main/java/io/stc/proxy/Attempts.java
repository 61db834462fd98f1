package io.stc.proxy;

import io.stc.balance.Balancer;
import io.stc.balance.Request;
import io.stc.health.CircuitBreaker;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
import io.stc.session.StickySessions;

/**
 * The attempts of one exchange: which backends were tried, the one being tried now, and the
 * request slot and breaker admission it holds.
 *
 * <p>Owned by one client connection and used only on its event loop.
 */
final class Attempts {
  private final ProxyServer proxy;
  /** The request's trace, which gets a span for each attempt. */
  private final RequestTrace trace;
  private Backend[] tried;
  private int triedCount;
  private int count;
  private Backend backend;
  /** The current attempt began and has not ended: its slot and breaker admission are held. */
  private boolean open;
  /** The breaker that admitted the current attempt, or null. */
  private CircuitBreaker breaker;
  /** The backend the request's sticky session named, when usable; null otherwise. */
  private Backend pinned;
  private long startNanos;

  /** Other backends the exchange's request may try after a failed attempt, as its settings say. */
  private int retries;

  Attempts(ProxyServer proxy, RequestTrace trace) {
    this.proxy = proxy;
    this.trace = trace;
    clear(proxy.settings.retries());
  }

  /**
   * A backend for the next attempt that was not tried yet and admits it (its slot taken), or null:
   * the sticky one first on a first attempt, then the balancer's choice.
   */
  Backend pick(Request request) {
    Pool pool = proxy.upstream.pool();
    boolean useBreakers = proxy.breakers != null && !pool.panicking();
    if (triedCount == 0 && proxy.sticky != StickySessions.NONE) {
      pinned = proxy.sticky.pinned(request, pool);
      if (pinned != null && admit(pinned, useBreakers)) {
        return pinned;
      }
    }
    Balancer balancer = proxy.balancer;
    // A balancer may keep answering a backend already tried or refused (a hash): then scan.
    for (int i = 0; i < 3; i++) {
      Backend b = balancer.pick(request, pool);
      if (b == null) {
        return null;
      }
      if (!wasTried(b) && admit(b, useBreakers)) {
        return b;
      }
    }
    for (Backend b : pool.available()) {
      if (!wasTried(b) && admit(b, useBreakers)) {
        return b;
      }
    }
    // Every available backend failed this request or is full (max_inflight): a backup takes it, as
    // in nginx, before the client is given an error or the request waits in the queue.
    for (Backend b : pool.standby()) {
      if (!wasTried(b) && admit(b, useBreakers)) {
        return b;
      }
    }
    return null;
  }

  /**
   * The backend of the last attempt again, admitted like any pick, or null: for a request it
   * refused without acting on it (an HTTP/2 stream refused, or cut off by GOAWAY).
   */
  Backend pickSameAgain() {
    Backend b = backend;
    Pool pool = proxy.upstream.pool();
    if (b == null || !b.isAvailable() || b.isRemoved()) {
      return null;
    }
    return admit(b, proxy.breakers != null && !pool.panicking()) ? b : null;
  }

  /**
   * Takes a request slot on the backend if it has room, and its breaker's admission (a half-open
   * breaker admits few); on success the attempt is counted in flight.
   */
  private boolean admit(Backend b, boolean useBreakers) {
    breaker = null;
    if (!b.stats().tryRequestStarted(proxy.settings.inflightLimit(b))) {
      return false;
    }
    if (!useBreakers) {
      return true;
    }
    CircuitBreaker cb = proxy.breakers.of(b);
    if (cb == null || cb.tryAcquire()) {
      breaker = cb;
      return true;
    }
    b.stats().requestCancelled();
    return false;
  }

  boolean wasTried(Backend b) {
    for (int i = 0; i < triedCount; i++) {
      if (tried[i] == b) {
        return true;
      }
    }
    return false;
  }

  /**
   * The attempt that just ended goes to the same backend once more, in the protocol its ALPN
   * chose: still one attempt (in the access log's count too), not a second.
   */
  void sameAttemptAgain() {
    count--;
    triedCount--;
  }

  /** An attempt on {@code b}, as {@link #pick} admitted it, starts now. */
  void begin(Backend b) {
    backend = b;
    tried[triedCount++] = b;
    open = true;
    count++;
    startNanos = proxy.clock.nanos();
    trace.attemptBegan(b, startNanos);
  }

  /** The current attempt's backend answered with this final status (or 101). */
  void answered(int status) {
    trace.attemptAnswered(status);
  }

  /** The current attempt failed so (before, or in the middle of, its response). */
  void failed(ProxyFailure failure) {
    trace.attemptFailed(failure);
  }

  /**
   * Ends the current attempt's bookkeeping: the backend's counters and its breaker; once only (an
   * attempt whose answer was judged before its body came ends when it is judged).
   *
   * @param failed whether the backend failed this attempt (for its counters)
   * @param verdict whether the outcome says anything about the backend (not when the client left)
   */
  void end(boolean failed, boolean breakerFailure, boolean verdict) {
    if (!open) {
      return;
    }
    open = false;
    long now = proxy.clock.nanos();
    trace.attemptEnded(now);
    backend.stats().requestFinished(now - startNanos, failed);
    RequestQueue queue = proxy.queue;
    if (queue != null && queue.size() > 0) {
      queue.wake(1);
    }
    CircuitBreaker cb = breaker;
    if (cb != null) {
      breaker = null;
      if (!verdict) {
        cb.onIgnored();
      } else if (breakerFailure) {
        cb.onFailure();
      } else {
        cb.onSuccess();
      }
    }
  }

  /** Whether another attempt is allowed for a request refused unprocessed: two beyond the retries. */
  boolean mayRetryUnprocessed() {
    return count <= retries + 2;
  }

  /**
   * Whether the current attempt's backend looks hung: it answered nothing since the attempt began,
   * while another backend the request could go to did.
   */
  boolean currentLooksHung() {
    long answered = backend.stats().lastResponseNanos();
    if (answered != 0 && answered - startNanos > 0) {
      return false;
    }
    for (Backend other : proxy.upstream.pool().available()) {
      long otherAnswered = other.stats().lastResponseNanos();
      if (other != backend && !wasTried(other) && otherAnswered != 0 && otherAnswered - startNanos > 0) {
        return true;
      }
    }
    return false;
  }

  /** When the current attempt began (clock nanoseconds). */
  long startNanos() {
    return startNanos;
  }

  /** Whether another attempt is allowed after the ones made so far. */
  boolean mayRetry() {
    return count <= retries;
  }

  /** Attempts begun so far. */
  int count() {
    return count;
  }

  /** The backend of the current (or last) attempt, or null before the first. */
  Backend backend() {
    return backend;
  }

  /** The backend the sticky session named, when it was usable. */
  Backend pinned() {
    return pinned;
  }

  /** Forgets the exchange's attempts, for the next exchange, which may retry {@code retries} times. */
  void clear(int retries) {
    this.retries = retries;
    // Room for the two extra attempts a request refused unprocessed may take.
    if (tried == null || tried.length != retries + 3) {
      tried = new Backend[retries + 3];
    }
    for (int i = 0; i < triedCount; i++) {
      tried[i] = null;
    }
    triedCount = 0;
    count = 0;
    backend = null;
    pinned = null;
  }
}
