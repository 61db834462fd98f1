package io.stc.admin;

import io.stc.Clock;
import io.stc.pool.Backend;
import io.stc.pool.PoolEvent;
import io.stc.proxy.EndedExchange;
import io.stc.proxy.ExchangeListener;
import io.stc.proxy.ProxyFailure;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Watches every finished exchange for the admin: totals, per-backend latencies and counts, the
 * most recent requests, and the access log. On the hot path it only bumps adders, records into
 * wait-free HdrHistogram recorders and claims a ring slot; everything else happens in {@link #tick()}.
 */
public final class TrafficRecorder implements ExchangeListener {
  static final int RECENT = 1000;
  private static final int WINDOW = 61;

  private final Clock clock;
  private final AccessLog accessLog;
  private final ConcurrentHashMap<Backend, BackendTraffic> backends = new ConcurrentHashMap<>();
  private final BackendTraffic unrouted = new BackendTraffic(null);
  private final LongAdder failures = new LongAdder();
  private final LongAdder aborts = new LongAdder();
  // Exchanges since the last reset whose backend has left the pool since.
  private final LongAdder removedServed = new LongAdder();
  private final LongAdder everything = new LongAdder();
  private final RecentRequests recent = new RecentRequests(RECENT);
  // Samples of the never-reset request count, one per tick, for the req/s windows; tick-only.
  private final long[] sampleCounts = new long[WINDOW];
  private final long[] sampleNanos = new long[WINDOW];
  private int samples;
  private volatile long sinceMillis;

  /** @param accessLog where each exchange is also logged, or null */
  public TrafficRecorder(Clock clock, AccessLog accessLog) {
    this.clock = clock;
    this.accessLog = accessLog;
    this.sinceMillis = System.currentTimeMillis();
  }

  @Override
  public void exchangeEnded(EndedExchange e) {
    Backend backend = e.backend();
    int status = e.status();
    long latencyNanos = e.latencyNanos();
    BackendTraffic t = traffic(backend);
    if (t != null) {
      t.record(status, latencyNanos);
    } else {
      removedServed.increment();
    }
    everything.increment();
    if (isClientAbort(status)) {
      aborts.increment();
    } else if (isFailure(status)) {
      failures.increment();
    }
    ProxyFailure failure = e.failure();
    // The request headers only the access log shows are looked up only when there is one.
    boolean logged = accessLog != null;
    RequestRecord r = new RequestRecord(
        System.currentTimeMillis(), e.method(), e.uri(), e.clientIp(), backend == null ? null : backend.id(), status,
        latencyNanos, e.protocol(), logged ? e.requestHeader("host") : null,
        logged ? e.requestHeader("referer") : null, logged ? e.requestHeader("user-agent") : null,
        e.responseBodyBytes(), failure == null ? null : failure.label(), e.requestId(), e.attempts(), e.traceId());
    recent.add(r);
    if (logged) {
      accessLog.offer(r);
    }
  }

  /** A request failed when the client got a 5xx; one whose client went away first (status 0) is an abort, not a failure. */
  static boolean isFailure(int status) {
    return status >= 500;
  }

  /** The client went away before its response was complete: nothing stc or a backend did wrong. */
  static boolean isClientAbort(int status) {
    return status <= 0;
  }

  /** The entry of {@code b}, or null when it has left the pool (its exchanges count as removed backends'). */
  private BackendTraffic traffic(Backend b) {
    if (b == null) {
      return unrouted;
    }
    BackendTraffic t = backends.get(b);
    if (t != null) {
      return t;
    }
    // Normally created by the ADDED event; this covers a request racing that event.
    return b.isRemoved() ? null : backends.computeIfAbsent(b, BackendTraffic::new);
  }

  /** Keeps the per-backend entries in step with the pool. */
  public void onPoolEvent(PoolEvent e) {
    if (e.kind() == PoolEvent.Kind.ADDED) {
      backends.computeIfAbsent(e.backend(), BackendTraffic::new);
    } else if (e.kind() == PoolEvent.Kind.REMOVED) {
      BackendTraffic gone = backends.remove(e.backend());
      if (gone != null) {
        removedServed.add(gone.served());
      }
    }
  }

  /** Once a second, from one thread: rotates the histograms and samples the counts. */
  public synchronized void tick() {
    for (BackendTraffic t : backends.values()) {
      t.tick();
    }
    unrouted.tick();
    int i = samples % WINDOW;
    sampleCounts[i] = everything.sum();
    sampleNanos[i] = clock.nanos();
    samples++;
  }

  /** Requests per second over the last {@code seconds} (at most 60), from the tick samples. */
  public synchronized double rate(int seconds) {
    if (samples < 2) {
      return 0.0;
    }
    int back = Math.min(Math.min(seconds, WINDOW - 1), samples - 1);
    int last = (samples - 1) % WINDOW;
    int first = (samples - 1 - back) % WINDOW;
    long nanos = sampleNanos[last] - sampleNanos[first];
    return nanos <= 0 ? 0.0 : (sampleCounts[last] - sampleCounts[first]) * 1e9 / nanos;
  }

  /** Zeroes the totals, latencies and recent requests (metrics counters stay monotonic). */
  public void reset() {
    failures.reset();
    aborts.reset();
    removedServed.reset();
    for (BackendTraffic t : backends.values()) {
      t.reset();
    }
    unrouted.reset();
    recent.clear();
    sinceMillis = System.currentTimeMillis();
  }

  /** Exchanges since start or the last reset: exactly the sum of {@link #distribution()}. */
  public long requests() {
    return distribution().total();
  }

  /** Exchanges that ended with a 5xx since start or the last reset. */
  public long failures() {
    return failures.sum();
  }

  /** Exchanges whose client went away before the response was complete, since start or the last reset. */
  public long clientAborts() {
    return aborts.sum();
  }

  /** When the counters started: stc's start or the last reset (epoch milliseconds). */
  public long sinceEpochMillis() {
    return sinceMillis;
  }

  /** Who served the exchanges since start or the last reset: each backend in the pool, none, or one gone since. */
  public Distribution distribution() {
    java.util.Map<Backend, Long> by = new java.util.LinkedHashMap<>();
    for (BackendTraffic t : backends.values()) {
      by.put(t.backend, t.served());
    }
    return new Distribution(by, unrouted.served(), removedServed.sum());
  }

  /**
   * Exchanges by the backend that served them; {@code unrouted} had none (no backend available,
   * refused before one was picked), {@code removed} were served by backends no longer in the pool.
   */
  public record Distribution(java.util.Map<Backend, Long> byBackend, long unrouted, long removed) {
    public long total() {
      long t = unrouted + removed;
      for (long n : byBackend.values()) {
        t += n;
      }
      return t;
    }
  }

  public RecentRequests recent() {
    return recent;
  }

  /** The traffic of a backend in the pool, or null when it has none yet. */
  BackendTraffic of(Backend b) {
    return backends.get(b);
  }

  Collection<BackendTraffic> all() {
    return backends.values();
  }

  BackendTraffic unrouted() {
    return unrouted;
  }
}
