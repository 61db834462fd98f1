package io.stc.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stc.scale.ScaleEvent;
import io.stc.traffic.SimulationOptions;
import io.stc.traffic.SimulationResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What {@code stc simulate} prints: a report of one run, a side-by-side table of several, or JSON. */
final class SimulationReport {
  private SimulationReport() {}

  /** The model in two lines, shared by every run of a comparison. */
  static String describe(SimulationOptions o) {
    return String.format(Locale.ROOT,
        "Simulated %s of %s (seed %d); %s balancer, instances %d..%d%n"
            + "Model        capacity %s concurrent per instance, service %s alone (+1/capacity of it per other"
            + " request in flight, %s), start-up %s%s%n"
            + "Proxy        max_inflight %d per instance, queue up to %s for %s; policy decides every %s%s%n",
        duration(o.duration()), o.traffic(), o.seed(), o.algorithm().configName(), o.min(),
        o.max(), o.capacityMin() == o.capacityMax() ? o.capacityMin() : o.capacityMin() + "-" + o.capacityMax(),
        duration(o.serviceTime()), o.noise() == io.stc.backend.InstanceModel.Noise.EXP ? "x Exp(1) noise" : "no noise",
        duration(o.startupDelay())
            + (o.startupParallel() == 0 ? "" : " (" + o.startupParallel() + " at full speed together)")
            + (o.maxStarting() == 0 ? "" : ", " + o.maxStarting() + " started at once"),
        o.meanLifetime().isZero() ? "" : ", crashes after " + duration(o.meanLifetime()) + " on average",
        o.maxInflight(), queue(o), duration(o.queueTimeout()), duration(o.interval()),
        o.slo().isZero() ? "" : " (slo: p99 " + duration(o.slo()) + ")") + schedule(o);
  }

  /** The schedule's windows and the wall-clock time the run began at; nothing without one. */
  private static String schedule(SimulationOptions o) {
    if (o.schedule().isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (var w : o.schedule()) {
      sb.append(sb.length() == 0 ? "" : "; ").append("min ").append(w.min()).append(", ").append(w);
    }
    return String.format(Locale.ROOT, "Schedule     %s; the run begins %s%n", sb, java.time.Instant.ofEpochMilli(o.startAtMillis()));
  }

  private static String queue(SimulationOptions o) {
    String memory = (o.queueMemory() % (1L << 30) == 0 ? (o.queueMemory() >> 30) + " GiB" : (o.queueMemory() >> 20) + " MiB");
    return memory + " of waiting requests" + (o.queueMax() > 0 ? " and " + o.queueMax() + " of them" : "");
  }

  static String text(SimulationRun run, boolean verbose) {
    SimulationResult r = run.result();
    StringBuilder sb = new StringBuilder(describe(r.options()));
    line(sb, "Policy", run.policy());
    line(sb, "Requests", String.format(Locale.ROOT, "%,d arrived, %,d served: %s success",
        r.arrived(), r.served(), percent(r.successRate())));
    line(sb, "Rejected", String.format(Locale.ROOT,
        "%,d (queue full %,d, queue timeout %,d); cut at drain timeout %,d",
        r.rejected(), r.queueFull(), r.queueTimeout(), r.cut()));
    if (r.crashed() > 0) {
      line(sb, "Crashes", String.format(Locale.ROOT, "%,d instances crashed; %,d requests on them tried again elsewhere",
          r.crashed(), r.failedOver()));
    }
    line(sb, "Latency", String.format(Locale.ROOT, "p50 %s   p90 %s   p99 %s   max %s   (arrival to response, queue wait included)",
        ms(r.latencyMillis(50)), ms(r.latencyMillis(90)), ms(r.latencyMillis(99)), ms(r.latencyMillis(100))));
    line(sb, "Queue", String.format(Locale.ROOT, "%,d served requests waited (%s), mean wait %s per served request",
        r.waited(), percent(r.waitProbability()), ms(r.meanWaitSeconds() * 1000)));
    line(sb, "Cost", String.format(Locale.ROOT,
        "%,.0f instance-s (mean %.2f instances, peak %d); oracle lower bound %,.0f instance-s; ratio %.2f",
        r.instanceSeconds(), r.instanceSeconds() / r.options().durationSeconds(), r.peakInstances(),
        r.oracleInstanceSeconds(), r.costRatio()));
    line(sb, "Scale events", String.format(Locale.ROOT, "%d up, %d down, %d changes of direction, the last at %s%s",
        r.scaleUps(), r.scaleDowns(), r.directionChanges(), clock((long) (r.lastScaleSeconds() * 1000)),
        verbose ? "" : "   (--verbose lists them)"));
    if (verbose) {
      sb.append(events(r));
    }
    line(sb, "Wall time", wall(run));
    return sb.toString();
  }

  /** Every scale event, one a line, at its virtual time. */
  static String events(SimulationResult r) {
    StringBuilder sb = new StringBuilder();
    for (ScaleEvent e : r.events()) {
      sb.append(String.format(Locale.ROOT, "  %9s  %s%n", clock(e.timeMillis()), e.message()));
    }
    return sb.toString();
  }

  /** Every run side by side, one row per policy. */
  static String table(List<SimulationRun> runs) {
    String[] head = {"policy", "success", "p50 ms", "p99 ms", "full", "timeout", "instance-s",
        "oracle", "ratio", "up", "down", "peak", "wall s"};
    List<String[]> rows = new ArrayList<>();
    rows.add(head);
    for (SimulationRun run : runs) {
      SimulationResult r = run.result();
      rows.add(new String[] {
          run.policy(), percent(r.successRate()), fixed(r.latencyMillis(50)), fixed(r.latencyMillis(99)),
          String.valueOf(r.queueFull()), String.valueOf(r.queueTimeout()),
          String.format(Locale.ROOT, "%.0f", r.instanceSeconds()),
          String.format(Locale.ROOT, "%.0f", r.oracleInstanceSeconds()),
          String.format(Locale.ROOT, "%.2f", r.costRatio()), String.valueOf(r.scaleUps()),
          String.valueOf(r.scaleDowns()), String.valueOf(r.peakInstances()),
          String.format(Locale.ROOT, "%.2f", run.wallSeconds())});
    }
    int[] width = new int[head.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        String cell = i == 0 ? String.format("%-" + width[i] + "s", row[i]) : String.format("%" + width[i] + "s", row[i]);
        line.append(i == 0 ? "" : "  ").append(cell);
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }

  static String json(List<SimulationRun> runs, boolean withEvents) {
    SimulationOptions o = runs.get(0).result().options();
    Map<String, Object> root = new LinkedHashMap<>();
    Map<String, Object> model = new LinkedHashMap<>();
    if (o.trace() != null) {
      model.put("trace", o.trace().describe());
    } else {
      model.put("pattern", o.pattern().label());
    }
    model.put("rate", o.rate());
    model.put("durationSeconds", o.durationSeconds());
    model.put("seed", o.seed());
    model.put("algorithm", o.algorithm().configName());
    model.put("capacityMin", o.capacityMin());
    model.put("capacityMax", o.capacityMax());
    model.put("serviceTimeMillis", o.serviceTime().toNanos() / 1e6);
    model.put("noise", o.noise().label());
    model.put("startupDelaySeconds", o.startupDelay().toNanos() / 1e9);
    model.put("startupParallel", o.startupParallel());
    model.put("maxStarting", o.maxStarting());
    model.put("min", o.min());
    model.put("max", o.max());
    model.put("maxInflight", o.maxInflight());
    model.put("queueMax", o.queueMax());
    model.put("queueMemoryBytes", o.queueMemory());
    model.put("meanLifetimeSeconds", o.meanLifetime().toNanos() / 1e9);
    model.put("sloMillis", o.slo().toNanos() / 1e6);
    model.put("queueTimeoutSeconds", o.queueTimeout().toNanos() / 1e9);
    model.put("intervalSeconds", o.interval().toNanos() / 1e9);
    root.put("model", model);
    List<Map<String, Object>> list = new ArrayList<>();
    for (SimulationRun run : runs) {
      list.add(json(run, withEvents));
    }
    root.put("runs", list);
    try {
      return new ObjectMapper().writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Object> json(SimulationRun run, boolean withEvents) {
    SimulationResult r = run.result();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("policy", run.policy());
    m.put("arrived", r.arrived());
    m.put("served", r.served());
    m.put("successRate", round(r.successRate(), 6));
    Map<String, Object> rejected = new LinkedHashMap<>();
    rejected.put("total", r.rejected());
    rejected.put("queueFull", r.queueFull());
    rejected.put("queueTimeout", r.queueTimeout());
    m.put("rejected", rejected);
    m.put("cutAtDrainTimeout", r.cut());
    m.put("crashedInstances", r.crashed());
    m.put("failedOver", r.failedOver());
    Map<String, Object> latency = new LinkedHashMap<>();
    latency.put("p50", round(r.latencyMillis(50), 3));
    latency.put("p90", round(r.latencyMillis(90), 3));
    latency.put("p99", round(r.latencyMillis(99), 3));
    latency.put("max", round(r.latencyMillis(100), 3));
    latency.put("mean", round(r.meanLatencyMillis(), 3));
    m.put("latencyMillis", latency);
    m.put("waited", r.waited());
    m.put("meanWaitMillis", round(r.meanWaitSeconds() * 1000, 3));
    m.put("instanceSeconds", round(r.instanceSeconds(), 3));
    m.put("oracleInstanceSeconds", round(r.oracleInstanceSeconds(), 3));
    m.put("costRatio", round(r.costRatio(), 4));
    m.put("peakInstances", r.peakInstances());
    m.put("scaleUps", r.scaleUps());
    m.put("scaleDowns", r.scaleDowns());
    m.put("directionChanges", r.directionChanges());
    m.put("lastScaleSeconds", round(r.lastScaleSeconds(), 3));
    if (withEvents) {
      m.put("events", events(r.events()));
    }
    m.put("wallSeconds", round(run.wallSeconds(), 3));
    return m;
  }

  private static List<Map<String, Object>> events(List<ScaleEvent> list) {
    List<Map<String, Object>> events = new ArrayList<>();
    for (ScaleEvent e : list) {
      Map<String, Object> em = new LinkedHashMap<>();
      em.put("seconds", e.timeMillis() / 1000.0);
      em.put("kind", e.kind().name().toLowerCase(Locale.ROOT));
      em.put("instance", e.instance());
      em.put("total", e.total());
      em.put("reason", e.reason());
      events.add(em);
    }
    return events;
  }

  static String wall(SimulationRun run) {
    double virtual = run.result().options().durationSeconds();
    return String.format(Locale.ROOT, "%.2f s for %s of virtual time (%,.0fx real time)",
        run.wallSeconds(), duration(run.result().options().duration()), virtual / Math.max(run.wallSeconds(), 1e-6));
  }

  private static void line(StringBuilder sb, String label, String value) {
    sb.append(String.format(Locale.ROOT, "%-12s %s%n", label, value));
  }

  static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.2f%%", fraction * 100);
  }

  static String ms(double millis) {
    return millis >= 100 ? String.format(Locale.ROOT, "%,.0f ms", millis) : String.format(Locale.ROOT, "%.1f ms", millis);
  }

  private static String fixed(double v) {
    return String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.1f", v);
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
  }

  /** A duration as short text: 50ms, 5s, 1.5s, 30m, 2h. */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms < 1000 ? ms + "ms" : number(ms / 1000.0) + "s";
  }

  /** Virtual time since the start as m:ss.s. */
  static String clock(long millis) {
    return String.format(Locale.ROOT, "%d:%04.1f", millis / 60_000, (millis % 60_000) / 1000.0);
  }
}
