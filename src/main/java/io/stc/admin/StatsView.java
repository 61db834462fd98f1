package io.stc.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stc.Clock;
import io.stc.health.CircuitBreaker;
import io.stc.health.CircuitBreakers;
import io.stc.health.HealthChecker;
import io.stc.health.HealthResult;
import io.stc.pool.Backend;
import io.stc.pool.BackendStats;
import io.stc.pool.Upstream;
import io.stc.proxy.ProxyStats;
import io.stc.scale.AutoscalerStatus;
import io.stc.scale.ScaleEvent;
import io.stc.session.StickySessions;
import java.time.Instant;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/** Renders the running server's numbers as the JSON the admin API, the event stream and {@code stc top} share. */
public final class StatsView {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final int SPARK_SECONDS = 20;
  static final int EVENTS_SHOWN = 10;

  private final Upstream upstream;
  private final ProxyStats proxy;
  private final IntSupplier queueDepth;
  private final TrafficRecorder traffic;
  private final HealthChecker health;
  private final CircuitBreakers breakers;
  private final StickySessions sticky;
  private final Controller controller;
  private final ControlEvents events;
  private final Supplier<AutoscalerStatus> autoscaler;
  private final Clock clock;
  private final long startNanos;

  /**
   * @param health the active checker, or null when health checks are off
   * @param breakers the circuit breakers, or null when they are off
   * @param sticky session affinity, or null when it is off
   * @param autoscaler the autoscaler's status, or null when autoscaling is off
   */
  public StatsView(
      Upstream upstream, ProxyStats proxy, IntSupplier queueDepth, TrafficRecorder traffic, HealthChecker health,
      CircuitBreakers breakers, StickySessions sticky, Controller controller, ControlEvents events,
      Supplier<AutoscalerStatus> autoscaler, Clock clock) {
    this.upstream = upstream;
    this.proxy = proxy;
    this.queueDepth = queueDepth;
    this.traffic = traffic;
    this.health = health;
    this.breakers = breakers;
    this.sticky = sticky;
    this.controller = controller;
    this.events = events;
    this.autoscaler = autoscaler;
    this.clock = clock;
    this.startNanos = clock.nanos();
  }

  /** Everything: algorithm, uptime, totals, every backend, the autoscaler, the last events. */
  public ObjectNode stats() {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("algorithm", controller.algorithm().configName());
    root.put("uptime_s", round((clock.nanos() - startNanos) / 1e9, 1));
    ObjectNode totals = root.putObject("totals");
    Totals t = totals();
    totals.put("requests", t.requests());
    totals.put("successes", t.successes());
    totals.put("failures", t.failures());
    totals.put("client_aborts", t.clientAborts());
    totals.put("success_rate", t.successRate());
    ObjectNode served = totals.putObject("served_by");
    t.distribution().byBackend().forEach((b, n) -> served.put(b.id(), n));
    totals.put("unrouted", t.distribution().unrouted());
    totals.put("removed_backends", t.distribution().removed());
    totals.put("active", proxy.active());
    totals.put("connections", proxy.connections());
    // A leader stc sums this over its fleet (see autoscale.fleet).
    totals.put("queue_depth", queueDepth.getAsInt());
    // gRPC calls by the grpc-status they ended with; only codes seen.
    ObjectNode grpc = totals.putObject("grpc");
    for (int code = 0; code < io.stc.proxy.GrpcStatus.COUNT; code++) {
      long n = proxy.grpcCalls(code);
      if (n > 0) {
        grpc.put(io.stc.proxy.GrpcStatus.name(code), n);
      }
    }
    // Copies to the mirror by outcome; only outcomes seen.
    ObjectNode mirror = totals.putObject("mirror");
    for (int outcome = 1; outcome < io.stc.proxy.ProxyStats.MIRROR_OUTCOMES; outcome++) {
      long n = proxy.mirrored(outcome);
      if (n > 0) {
        mirror.put(io.stc.proxy.ProxyStats.mirrorLabel(outcome), n);
      }
    }
    ObjectNode rps = totals.putObject("rps");
    rps.put("1s", round(traffic.rate(1), 1));
    rps.put("10s", round(traffic.rate(10), 1));
    rps.put("60s", round(traffic.rate(60), 1));
    List<Backend> all = upstream.pool().all();
    recentLatency(totals.putObject("recent_latency_ms"), all);
    ArrayNode list = root.putArray("backends");
    for (Backend b : all) {
      list.add(backend(b));
    }
    autoscaler(root);
    ArrayNode ev = root.putArray("events");
    for (ControlEvent e : events.recent(EVENTS_SHOWN)) {
      ev.add(event(e));
    }
    return root;
  }

  /**
   * The counts since start or the last reset, read once so they agree: requests is the sum of the
   * distribution by backend; a client that went away is neither a success nor a failure.
   */
  public record Totals(TrafficRecorder.Distribution distribution, long failures, long clientAborts, long sinceEpochMillis) {
    public long requests() {
      return distribution.total();
    }

    /** Exchanges that ended with a status below 500 (requests counted before a concurrent read of the failures never go negative). */
    public long successes() {
      return Math.max(0, requests() - failures - clientAborts);
    }

    /** Successes over the exchanges that ended with a response (1.0 before any). */
    public double successRate() {
      long answered = successes() + failures;
      return answered == 0 ? 1.0 : round((double) successes() / answered, 4);
    }
  }

  /** The totals since start or the last reset. */
  public Totals totals() {
    long failures = traffic.failures();
    long aborts = traffic.clientAborts();
    return new Totals(traffic.distribution(), failures, aborts, traffic.sinceEpochMillis());
  }

  /** p50 and p99 of every backend's requests in the last second: what latency is now, where the per-backend figures are since start. */
  private void recentLatency(ObjectNode n, List<Backend> backends) {
    Histogram window = new Histogram(1, BackendTraffic.HIGHEST_MICROS, 2);
    for (Backend b : backends) {
      BackendTraffic t = traffic.of(b);
      if (t != null) {
        t.addLastSecondTo(window);
      }
    }
    boolean any = window.getTotalCount() > 0;
    n.put("p50", any ? round(window.getValueAtPercentile(50) / 1000.0, 3) : 0.0);
    n.put("p99", any ? round(window.getValueAtPercentile(99) / 1000.0, 3) : 0.0);
  }

  private void autoscaler(ObjectNode root) {
    AutoscalerStatus s = autoscaler == null ? null : autoscaler.get();
    if (s == null) {
      root.putNull("autoscaler");
      return;
    }
    ObjectNode n = root.putObject("autoscaler");
    n.put("policy", s.policy());
    n.put("min", s.min());
    n.put("max", s.max());
    n.put("current", s.current());
    n.put("desired", s.desired());
    n.put("pending", s.pending());
    n.put("draining", s.draining());
    ScaleEvent e = s.lastEvent();
    if (e == null) {
      n.putNull("last_event");
    } else {
      ObjectNode last = n.putObject("last_event");
      last.put("type", ScaleLabels.type(e.kind()));
      last.put("time", Instant.ofEpochMilli(e.timeMillis()).toString());
      last.put("message", e.message());
    }
  }

  /** Every backend, without the totals. */
  public ArrayNode backends() {
    ArrayNode list = MAPPER.createArrayNode();
    for (Backend b : upstream.pool().all()) {
      list.add(backend(b));
    }
    return list;
  }

  /** One backend: address, weight, state, counters, latency percentiles, last health check, req/s of the last seconds. */
  public ObjectNode backend(Backend b) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("id", b.id());
    n.put("host", b.host());
    n.put("port", b.port());
    // Where a named backend's connections go now (its name is looked up again as it moves); null while it does not resolve.
    java.net.InetAddress at = b.inetAddress() == null ? null : b.inetAddress().getAddress();
    n.put("address", at == null ? null : at.getHostAddress());
    n.put("weight", b.weight());
    if (b.maxInflight() > 0) {
      n.put("max_inflight", b.maxInflight());
    }
    n.put("backup", b.backup());
    n.put("protocol", b.protocolName());
    long idleClose = b.idleCloseSeenNanos();
    if (idleClose != Long.MAX_VALUE) {
      // Seen to close kept connections after this much idleness, unsaid: stc keeps them a second less.
      n.put("idle_close_seen_ms", idleClose / 1_000_000);
    }
    n.put("state", b.state().label());
    n.put("removing", controller.isRemoving(b));
    CircuitBreaker cb = breakers == null ? null : breakers.of(b);
    if (cb != null) {
      n.put("circuit", BreakerLabels.state(cb.state()));
    }
    BackendStats s = b.stats();
    n.put("in_flight", s.inFlight());
    long requests = s.requests();
    long errors = s.failures();
    n.put("requests", requests);
    n.put("errors", errors);
    n.put("error_rate", requests == 0 ? 0.0 : round((double) errors / requests, 4));
    if (sticky != null) {
      n.put("sticky_sessions", sticky.sessions(b));
    }
    ObjectNode lat = n.putObject("latency_ms");
    BackendTraffic t = traffic.of(b);
    Histogram h = t == null ? null : t.latencies();
    boolean any = h != null && h.getTotalCount() > 0;
    lat.put("avg", any ? round(h.getMean() / 1000, 3) : 0.0);
    lat.put("p50", any ? round(h.getValueAtPercentile(50) / 1000.0, 3) : 0.0);
    lat.put("p95", any ? round(h.getValueAtPercentile(95) / 1000.0, 3) : 0.0);
    lat.put("p99", any ? round(h.getValueAtPercentile(99) / 1000.0, 3) : 0.0);
    ArrayNode spark = n.putArray("rps_history");
    if (t != null) {
      for (long v : t.recentPerSecond(SPARK_SECONDS)) {
        spark.add(v);
      }
    }
    HealthResult r = health == null ? null : health.lastResult(b);
    if (r == null) {
      n.putNull("last_health_check");
    } else {
      ObjectNode hc = n.putObject("last_health_check");
      hc.put("time", Instant.ofEpochMilli(r.epochMillis()).toString());
      hc.put("ok", r.ok());
      hc.put("detail", r.detail());
    }
    return n;
  }

  /** The most recent requests, newest first. */
  public ArrayNode requests(int limit) {
    ArrayNode list = MAPPER.createArrayNode();
    List<RequestRecord> recent = traffic.recent().latest(limit);
    for (RequestRecord r : recent) {
      ObjectNode n = list.addObject();
      n.put("time", Instant.ofEpochMilli(r.epochMillis()).toString());
      n.put("method", r.method());
      n.put("path", r.path());
      n.put("client", r.client());
      n.put("backend", r.backend());
      n.put("status", r.status());
      n.put("protocol", r.protocol());
      n.put("bytes", r.bodyBytes());
      n.put("latency_ms", round(r.latencyMillis(), 3));
      n.put("failure", r.failure());
      n.put("request_id", r.requestId());
      n.put("attempts", r.attempts());
      if (r.traceId() != null) {
        n.put("trace_id", r.traceId());
      }
    }
    return list;
  }

  static ObjectNode event(ControlEvent e) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("type", e.type());
    n.put("time", Instant.ofEpochMilli(e.epochMillis()).toString());
    n.put("message", e.message());
    n.set("data", MAPPER.valueToTree(e.data()));
    return n;
  }

  static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
