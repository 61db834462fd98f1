package io.stc.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stc.traffic.LoadOptions;
import io.stc.traffic.LoadResult;
import io.stc.traffic.RequestTargets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The final report of {@code stc load}: human-readable text, or one JSON object. */
final class LoadReport {
  private LoadReport() {}

  static String text(LoadOptions o, LoadResult r) {
    StringBuilder sb = new StringBuilder();
    sb.append(describe(o)).append('\n');
    line(sb, "Requests", String.format(Locale.ROOT,
        "%d scheduled, %d sent, %d completed, %d dropped by client, %d unfinished",
        r.scheduled(), r.sent(), r.completed(), r.dropped(), r.unfinished()));
    if (!r.closedLoop()) {
      line(sb, "Conns", String.format(Locale.ROOT, "%d at most at once of %d allowed, %d opened%s",
          r.peakConnections(), o.connections(), r.connectionsOpened(),
          r.heldBack() == 0 ? ""
              : String.format(Locale.ROOT, "; %d requests waited in the client with all %d busy (raise --connections)",
                  r.heldBack(), o.connections())));
    }
    if (o.targets() != null) {
      RequestTargets t = o.targets();
      line(sb, "Targets", String.format(Locale.ROOT, "the paths of %,d GETs of %s%s%s", t.count(), t.source(),
          t.sent() > t.count() ? String.format(Locale.ROOT, ", each sent %.1f times", (double) t.sent() / t.count()) : "",
          t.skipped() == 0 ? "" : String.format(Locale.ROOT, "; %,d other requests not sent", t.skipped())));
    }
    line(sb, "Status", r.statusCounts().isEmpty() ? "-"
        : r.statusCounts().entrySet().stream()
            .map(e -> (e.getKey() == 0 ? "other" : e.getKey()) + ": " + e.getValue())
            .collect(Collectors.joining("   ")));
    line(sb, "Errors", String.format(Locale.ROOT, "%d (connect %d, io %d, timeout %d, 5xx %d)",
        r.errors(), r.connectErrors(), r.ioErrors(), r.timeouts(), r.serverErrors()));
    line(sb, "Rate", String.format(Locale.ROOT, "%.1f req/s achieved%s over %.2f s",
        r.achievedRate(),
        r.closedLoop() ? "" : String.format(Locale.ROOT, " (target mean %.1f)", r.targetMeanRate()),
        r.elapsedSeconds()));
    line(sb, "Latency", String.format(Locale.ROOT,
        "p50 %s   p90 %s   p99 %s   p99.9 %s   max %s%s",
        ms(r.latencyMillis(50)), ms(r.latencyMillis(90)), ms(r.latencyMillis(99)),
        ms(r.latencyMillis(99.9)), ms(r.maxLatencyMillis()),
        r.closedLoop() ? "" : "   (from the intended send time)"));
    String label = "Served by";
    int width = r.servedBy().keySet().stream().mapToInt(String::length).max().orElse(0);
    for (Map.Entry<String, Long> e : byCount(r.servedBy()).entrySet()) {
      line(sb, label, String.format(Locale.ROOT, "%-" + width + "s  %8d  %5.1f%%",
          e.getKey(), e.getValue(), r.completed() > 0 ? 100.0 * e.getValue() / r.completed() : 0));
      label = "";
    }
    return sb.toString();
  }

  static String json(LoadOptions o, LoadResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", o.closedLoop() ? "closed" : "open");
    m.put("url", o.url().toString());
    m.put("method", o.method());
    if (o.closedLoop()) {
      m.put("requests", o.requests());
      m.put("concurrency", o.connections());
    } else {
      if (o.trace() != null) {
        m.put("trace", o.trace().describe());
      } else {
        m.put("pattern", o.pattern().label());
      }
      m.put("rate", o.rate());
      m.put("durationSeconds", o.durationSeconds());
      m.put("seed", o.seed());
      m.put("connections", o.connections());
    }
    m.put("warmUpSeconds", o.warmUp().toMillis() / 1000.0);
    m.put("scheduled", r.scheduled());
    m.put("sent", r.sent());
    m.put("completed", r.completed());
    m.put("droppedByClient", r.dropped());
    if (!o.closedLoop()) {
      m.put("heldBackByClient", r.heldBack());
      m.put("peakConnections", r.peakConnections());
      m.put("connectionsOpened", r.connectionsOpened());
    }
    m.put("unfinished", r.unfinished());
    Map<String, Long> status = new LinkedHashMap<>();
    r.statusCounts().forEach((k, v) -> status.put(k == 0 ? "other" : String.valueOf(k), v));
    m.put("status", status);
    Map<String, Long> errors = new LinkedHashMap<>();
    errors.put("total", r.errors());
    errors.put("connect", r.connectErrors());
    errors.put("io", r.ioErrors());
    errors.put("timeout", r.timeouts());
    errors.put("http5xx", r.serverErrors());
    m.put("errors", errors);
    m.put("elapsedSeconds", round(r.elapsedSeconds()));
    m.put("achievedRate", round(r.achievedRate()));
    if (!r.closedLoop()) {
      m.put("targetMeanRate", round(r.targetMeanRate()));
    }
    Map<String, Double> latency = new LinkedHashMap<>();
    latency.put("p50", r.latencyMillis(50));
    latency.put("p90", r.latencyMillis(90));
    latency.put("p99", r.latencyMillis(99));
    latency.put("p999", r.latencyMillis(99.9));
    latency.put("max", r.maxLatencyMillis());
    latency.put("mean", round(r.meanLatencyMillis()));
    m.put("latencyMs", latency);
    m.put("servedBy", byCount(r.servedBy()));
    try {
      return new ObjectMapper().writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the result as JSON", e);
    }
  }

  static String describe(LoadOptions o) {
    String warmUp = o.warmUp().isZero() ? ""
        : String.format(Locale.ROOT, " (after a %ss client warm-up)", trim(o.warmUp().toMillis() / 1000.0));
    if (o.closedLoop()) {
      return String.format(Locale.ROOT, "Closed loop: %d requests, %d concurrent, %s %s%s",
          o.requests(), o.connections(), o.method(), o.url(), warmUp);
    }
    return String.format(Locale.ROOT, "Open loop: %s for %ss (seed %d), up to %d connections, %s %s%s",
        o.traffic(), trim(o.durationSeconds()), o.seed(), o.connections(), o.method(), o.url(), warmUp);
  }

  private static Map<String, Long> byCount(Map<String, Long> counts) {
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
  }

  private static void line(StringBuilder sb, String label, String value) {
    sb.append(String.format(Locale.ROOT, "%-10s %s%n", label.isEmpty() ? "" : label + ":", value));
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, v < 10 ? "%.2f ms" : "%.1f ms", v);
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
