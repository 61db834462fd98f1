package io.stc.proxy;

import io.netty.util.internal.PlatformDependent;
import io.stc.config.StcConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends finished spans to an OTLP/HTTP collector from a thread of its own, as OpenTelemetry's
 * batch span processor does: event loops hand spans to a bounded lock-free queue (a full queue drops
 * them, counted, never waits), and the thread posts them in batches of up to 512, at least once a
 * second, retrying what a collector says it could not take yet (429, 502-504, no connection) twice.
 */
final class TraceExporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TraceExporter.class);
  static final int QUEUE_SIZE = 8192;
  static final int BATCH = 512;
  private static final long BATCH_DELAY_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final long[] BACKOFF_MILLIS = {500, 2000};
  private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final String VERSION = "0.1.0";

  private final ProxyStats stats;
  private final Queue<FinishedSpan> queue = PlatformDependent.newFixedMpscQueue(QUEUE_SIZE);
  private volatile Target target;
  private volatile boolean closing;
  private Thread thread;
  private HttpClient http;
  private long lastWarnNanos = System.nanoTime() - WARN_EVERY_NANOS;

  /** Where spans go and as what service; a reload may change it. */
  private record Target(URI endpoint, Map<String, String> headers, Map<String, Object> resource) {}

  TraceExporter(ProxyStats stats) {
    this.stats = stats;
  }

  /** Points the exporter where {@code tracing} says; its thread starts with the first endpoint. */
  synchronized void configure(StcConfig.Tracing tracing) {
    if (!tracing.enabled() || closing) {
      return;
    }
    Map<String, Object> resource = new LinkedHashMap<>();
    resource.put("service.name", tracing.serviceName());
    resource.put("service.version", VERSION);
    resource.put("host.name", hostName());
    resource.put("process.pid", ProcessHandle.current().pid());
    resource.put("telemetry.sdk.name", "stc");
    resource.put("telemetry.sdk.language", "java");
    target = new Target(URI.create(tracing.endpoint()), tracing.headers(), resource);
    if (thread == null) {
      // HTTP/1.1, as OpenTelemetry's exporters speak it: no h2c upgrade offered to a collector that may not expect one.
      http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
      thread = new Thread(this::run, "stc-trace-export");
      thread.setDaemon(true);
      thread.start();
    }
  }

  /** Hands a span over; never blocks: with the queue full it is dropped and counted. */
  void offer(FinishedSpan span) {
    if (!queue.offer(span)) {
      stats.spans(ProxyStats.SPANS_DROPPED, 1);
    }
  }

  private void run() {
    List<FinishedSpan> batch = new ArrayList<>(BATCH);
    long firstNanos = 0;
    while (true) {
      FinishedSpan s = queue.poll();
      if (s != null) {
        if (batch.isEmpty()) {
          firstNanos = System.nanoTime();
        }
        batch.add(s);
        if (batch.size() < BATCH) {
          continue;
        }
      }
      boolean due = !batch.isEmpty() && (batch.size() >= BATCH || System.nanoTime() - firstNanos >= BATCH_DELAY_NANOS || closing);
      if (due) {
        try {
          send(batch);
        } catch (RuntimeException e) {
          // A span that cannot be encoded loses its batch, never the exporter.
          stats.spans(ProxyStats.SPANS_FAILED, batch.size());
          LOG.warn("Tracing: {} spans could not be sent", batch.size(), e);
        }
        batch = new ArrayList<>(BATCH);
        continue;
      }
      if (closing && queue.isEmpty()) {
        return;
      }
      LockSupport.parkNanos(IDLE_PARK_NANOS);
    }
  }

  private void send(List<FinishedSpan> batch) {
    Target t = target;
    byte[] body = OtlpTraces.encode(t.resource(), "io.stc.proxy", VERSION, batch);
    HttpRequest.Builder b = HttpRequest.newBuilder(t.endpoint()).timeout(TIMEOUT)
        .header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    t.headers().forEach(b::header);
    HttpRequest request = b.build();
    String problem = null;
    for (int attempt = 0; ; attempt++) {
      boolean again;
      try {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        int status = r.statusCode();
        if (status >= 200 && status < 300) {
          stats.spans(ProxyStats.SPANS_EXPORTED, batch.size());
          return;
        }
        String said = r.body() == null ? "" : r.body().strip();
        problem = "HTTP " + status + (said.isEmpty() ? "" : ": " + (said.length() > 200 ? said.substring(0, 200) + "..." : said));
        again = status == 429 || status == 502 || status == 503 || status == 504;
      } catch (IOException e) {
        problem = e.toString();
        again = true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        problem = "interrupted";
        again = false;
      }
      if (!again || attempt >= BACKOFF_MILLIS.length || closing) {
        break;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(BACKOFF_MILLIS[attempt]));
    }
    stats.spans(ProxyStats.SPANS_FAILED, batch.size());
    long now = System.nanoTime();
    if (now - lastWarnNanos >= WARN_EVERY_NANOS) {
      lastWarnNanos = now;
      LOG.warn("Tracing: {} spans not taken by {}: {} (said at most once a minute; see stc_trace_spans_total)",
          batch.size(), t.endpoint(), problem);
    }
  }

  /** Sends what is queued, waiting at most {@code timeout} for it, then stops. */
  @Override
  public void close() {
    close(Duration.ofSeconds(2));
  }

  void close(Duration timeout) {
    Thread t;
    synchronized (this) {
      closing = true;
      t = thread;
    }
    if (t == null) {
      return;
    }
    LockSupport.unpark(t);
    try {
      t.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
