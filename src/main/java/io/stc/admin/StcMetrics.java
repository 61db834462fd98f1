package io.stc.admin;

import static io.stc.admin.MeterNames.*;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.stc.balance.Algorithm;
import io.stc.health.CircuitBreaker;
import io.stc.health.CircuitBreakers;
import io.stc.health.HealthChecker;
import io.stc.health.HealthResult;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.PoolEvent;
import io.stc.pool.Upstream;
import io.stc.proxy.ProxyFailure;
import io.stc.proxy.ProxyStats;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Prometheus registry behind {@code GET /metrics}: every meter reads stc's own lock-free
 * counters at scrape time, so recording a request never goes through Micrometer.
 */
public final class StcMetrics implements AutoCloseable {
  private static final String[] CLASS_LABELS = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final TrafficRecorder traffic;
  private final HealthChecker health;
  private final CircuitBreakers breakers;
  private final JvmGcMetrics gc = new JvmGcMetrics();

  /**
   * @param health the active checker, or null when health checks are off
   * @param breakers the circuit breakers, or null when they are off
   * @param accessLog the access log, or null when it is off
   */
  public StcMetrics(
      Upstream upstream, ProxyStats proxy, TrafficRecorder traffic, HealthChecker health,
      CircuitBreakers breakers, AccessLog accessLog, Supplier<Algorithm> algorithm) {
    this.traffic = traffic;
    this.health = health;
    this.breakers = breakers;
    // Two binder meters break Prometheus naming rules (promtool's lint flags them): rename one, drop
    // the other (process_cpu_usage carries the same information).
    registry.config()
        .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
        .meterFilter(new MeterFilter() {
          @Override
          public Meter.Id map(Meter.Id id) {
            return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.logical") : id;
          }
        });
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);

    Gauge.builder(POOL_SIZE, upstream, u -> u.pool().all().size())
        .description("Backends in the pool").register(registry);
    Gauge.builder(POOL_AVAILABLE, upstream, u -> u.pool().availableCount())
        .description("Backends taking new requests").register(registry);
    for (ProxyFailure f : ProxyFailure.values()) {
      FunctionCounter.builder(PROXY_FAILURES, proxy, p -> p.failures(f))
          .description("Requests stc answered itself because proxying failed, by reason")
          .tag(TAG_REASON, f.label()).register(registry);
    }
    for (int code = 0; code < io.stc.proxy.GrpcStatus.COUNT; code++) {
      int c = code;
      FunctionCounter.builder(GRPC_CALLS, proxy, p -> p.grpcCalls(c))
          .description("gRPC calls by the grpc-status they ended with (from a backend or from stc)")
          .tag(TAG_CODE, io.stc.proxy.GrpcStatus.name(c)).register(registry);
    }
    for (int outcome = 1; outcome < ProxyStats.MIRROR_OUTCOMES; outcome++) {
      int o = outcome;
      FunctionCounter.builder(MIRROR_REQUESTS, proxy, p -> p.mirrored(o))
          .description("Copies of requests to the mirror, by outcome: answered (status class), failed, or not made (busy, too_large)")
          .tag(TAG_OUTCOME, ProxyStats.mirrorLabel(o)).register(registry);
    }
    for (int outcome = 0; outcome < 3; outcome++) {
      int o = outcome;
      FunctionCounter.builder(TRACE_SPANS, proxy, p -> p.spans(o))
          .description("Spans for tracing.endpoint, by outcome: exported, dropped (the export queue full) or failed (refused or unreachable)")
          .tag(TAG_OUTCOME, ProxyStats.spanLabel(o)).register(registry);
    }
    FunctionCounter.builder(PROXY_RETRIES, proxy, ProxyStats::retries)
        .description("Attempts retried on another backend").register(registry);
    FunctionCounter.builder(PROXY_RETRIES_DENIED, proxy, ProxyStats::retriesDenied)
        .description("Retries the retry budget did not allow (the failure was answered instead)").register(registry);
    FunctionCounter.builder(CLIENT_ABORTS, proxy, ProxyStats::clientAborts)
        .description("Exchanges the client abandoned").register(registry);
    Gauge.builder(ACTIVE_REQUESTS, proxy, ProxyStats::active)
        .description("Requests in progress").register(registry);
    Gauge.builder(CLIENT_CONNECTIONS, proxy, ProxyStats::connections)
        .description("Open client connections").register(registry);
    Gauge.builder(HTTP2_WINDOW_HELD, proxy, ProxyStats::http2WindowHeld)
        .description("HTTP/2 receive window streams hold beyond the protocol's 64 KiB, grown for far peers")
        .baseUnit("bytes").register(registry);
    if (accessLog != null) {
      FunctionCounter.builder(ACCESS_LOG_DROPPED, accessLog, AccessLog::dropped)
          .description("Access log records dropped because the writer fell behind").register(registry);
    }
    for (Algorithm a : Algorithm.values()) {
      Gauge.builder(ALGORITHM, algorithm, s -> s.get() == a ? 1 : 0)
          .description("1 for the balancing algorithm in use").tag(TAG_ALGORITHM, a.configName())
          .strongReference(true).register(registry);
    }
    registerRequests(TrafficRecorder::unrouted, "none");
    registry.getPrometheusRegistry().register(new RequestDurationCollector(traffic));
    for (Backend b : upstream.pool().all()) {
      register(b);
    }
  }

  /** Adds or removes a backend's meters as the pool changes. */
  public void onPoolEvent(PoolEvent e) {
    if (e.kind() == PoolEvent.Kind.ADDED) {
      register(e.backend());
    } else if (e.kind() == PoolEvent.Kind.REMOVED) {
      List<Meter> meters = new ArrayList<>();
      for (Meter m : registry.getMeters()) {
        if (e.backend().id().equals(m.getId().getTag(TAG_BACKEND))) {
          meters.add(m);
        }
      }
      meters.forEach(registry::remove);
    }
  }

  private void register(Backend b) {
    Tags tags = Tags.of(TAG_BACKEND, b.id());
    Gauge.builder(BACKEND_UP, b, x -> x.state() == BackendState.UP ? 1 : 0)
        .description("1 when the backend is up").tags(tags).register(registry);
    Gauge.builder(BACKEND_IN_FLIGHT, b, x -> x.stats().inFlight())
        .description("Requests in flight to the backend").tags(tags).register(registry);
    Gauge.builder(BACKEND_WEIGHT, b, Backend::weight)
        .description("The backend's weight").tags(tags).register(registry);
    for (BackendState s : BackendState.values()) {
      Gauge.builder(BACKEND_STATE, b, x -> x.state() == s ? 1 : 0)
          .description("1 for the backend's current state")
          .tags(tags.and(TAG_STATE, s.label())).register(registry);
    }
    if (health != null) {
      Gauge.builder(HEALTH_CHECK_OK, b, this::healthOk)
          .description("1 when the backend's last health check passed, 0 when it failed, NaN before the first")
          .tags(tags).register(registry);
    }
    if (breakers != null) {
      Gauge.builder(BACKEND_CIRCUIT_OPEN, b, this::circuitOpen)
          .description("1 while the backend's circuit breaker is open, 0 otherwise")
          .tags(tags).register(registry);
    }
    registerRequests(r -> r.of(b), b.id());
  }

  private double circuitOpen(Backend b) {
    CircuitBreaker cb = breakers.of(b);
    return cb != null && cb.state() == CircuitBreaker.State.OPEN ? 1 : 0;
  }

  private void registerRequests(Function<TrafficRecorder, BackendTraffic> lookup, String backend) {
    for (int c = 0; c < CLASS_LABELS.length; c++) {
      int statusClass = c;
      FunctionCounter.builder(REQUESTS, traffic, r -> {
            BackendTraffic t = lookup.apply(r);
            return t == null ? 0 : t.count(statusClass);
          })
          .description("Requests by the backend that served them and the class of status sent to the client")
          .tags(TAG_BACKEND, backend, TAG_STATUS_CLASS, CLASS_LABELS[c]).register(registry);
    }
  }

  private double healthOk(Backend b) {
    HealthResult r = health.lastResult(b);
    return r == null ? Double.NaN : r.ok() ? 1 : 0;
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
