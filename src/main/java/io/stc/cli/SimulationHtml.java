package io.stc.cli;

import io.stc.cli.SvgChart.Fold;
import io.stc.scale.ScaleEvent;
import io.stc.traffic.RatePattern;
import io.stc.traffic.SimulationOptions;
import io.stc.traffic.SimulationResult;
import io.stc.traffic.SimulationSeries;
import java.util.List;
import java.util.Locale;

/**
 * The {@code --report} page of {@code stc simulate}: one self-contained HTML file (well-formed
 * XML as well) with the summary table and inline SVG charts of arrivals, instances and p99
 * latency over time, scale events marked. Nothing is loaded from anywhere.
 */
final class SimulationHtml {
  private static final String[] POLICY_COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};
  private static final String UP = "#2ca02c";
  private static final String DOWN = "#d62728";

  private SimulationHtml() {}

  static String page(List<SimulationRun> runs) {
    SimulationOptions o = runs.get(0).result().options();
    double seconds = o.durationSeconds();
    StringBuilder sb = ReportPage.begin("stc simulate: " + title(o))
        .append("<pre>").append(ReportPage.escape(SimulationReport.describe(o))).append("</pre>\n");
    summary(sb, runs);
    sb.append(arrivals(runs.get(0).result(), seconds).svg());
    if (runs.size() == 1) {
      policyCharts(sb, runs.get(0), seconds, "#1f77b4");
    } else {
      SvgChart instances = new SvgChart("Instances (ready + starting) by policy", "instances", seconds, false);
      SvgChart p99 = new SvgChart("Latency p99 per second by policy", "ms (log)", seconds, true);
      for (int i = 0; i < runs.size(); i++) {
        SimulationRun run = runs.get(i);
        SimulationSeries s = run.result().series();
        String color = POLICY_COLORS[i % POLICY_COLORS.length];
        instances.line(run.policy(), color, readyAndPending(s), Fold.MAX, true);
        p99.line(run.policy(), color, s.p99Millis(), Fold.MAX, false);
      }
      sb.append(instances.svg()).append(p99.svg());
      for (int i = 0; i < runs.size(); i++) {
        sb.append("<h2>").append(ReportPage.escape(runs.get(i).policy())).append("</h2>\n");
        policyCharts(sb, runs.get(i), seconds, POLICY_COLORS[i % POLICY_COLORS.length]);
      }
    }
    sb.append("<p style=\"font-size:12px;color:#666\">Instance-seconds count every instance from its start until it")
        .append(" stopped (starting and draining included). The oracle bound is the least instance-seconds that could")
        .append(" have carried the arrivals: each second ceil(arrivals &#215; service time / mean capacity),")
        .append(" at least min. Latency runs from arrival to response, queue wait included.</p>\n");
    return ReportPage.end(sb);
  }

  private static String title(SimulationOptions o) {
    return o.traffic() + " for " + SimulationReport.duration(o.duration()) + ", seed " + o.seed();
  }

  private static void summary(StringBuilder sb, List<SimulationRun> runs) {
    sb.append("<table>\n<tr><th>policy</th><th>success</th><th>p50 ms</th><th>p99 ms</th><th>rejected</th>")
        .append("<th>instance-s</th><th>oracle</th><th>cost ratio</th><th>scale up/down</th><th>peak</th></tr>\n");
    for (SimulationRun run : runs) {
      SimulationResult r = run.result();
      sb.append(String.format(Locale.ROOT,
          "<tr><td>%s</td><td>%s</td><td>%.1f</td><td>%.1f</td><td>%,d</td><td>%,.0f</td><td>%,.0f</td>"
              + "<td>%.2f</td><td>%d / %d</td><td>%d</td></tr>%n",
          ReportPage.escape(run.policy()), SimulationReport.percent(r.successRate()), r.latencyMillis(50), r.latencyMillis(99),
          r.rejected(), r.instanceSeconds(), r.oracleInstanceSeconds(), r.costRatio(), r.scaleUps(), r.scaleDowns(),
          r.peakInstances()));
    }
    sb.append("</table>\n");
  }

  private static SvgChart arrivals(SimulationResult r, double seconds) {
    SimulationSeries s = r.series();
    RatePattern pattern = r.options().ratePattern();
    double[] target = new double[s.seconds()];
    for (int i = 0; i < target.length; i++) {
      target[i] = pattern.mean(i, Math.min(i + 1, seconds));
    }
    return new SvgChart("Arrival rate (same trace for every policy)", "req/s", seconds, false)
        .line("arrivals", "#1f77b4", ints(s.arrivals()), Fold.MEAN, false)
        .dashed(r.options().trace() != null ? "trace rate" : "pattern rate", "#555555", target, Fold.MEAN, false);
  }

  private static void policyCharts(StringBuilder sb, SimulationRun run, double seconds, String color) {
    SimulationResult r = run.result();
    SimulationSeries s = r.series();
    double[] ups = times(r, ScaleEvent.Kind.SCALED_UP);
    double[] downs = times(r, ScaleEvent.Kind.SCALED_DOWN);
    double[] all = new double[s.seconds()];
    for (int i = 0; i < all.length; i++) {
      all[i] = s.instances(i);
    }
    sb.append(new SvgChart(run.policy() + ": instances", "instances", seconds, false)
        .line("ready", color, ints(s.ready()), Fold.MAX, true)
        .dashed("+ starting", "#ff7f0e", readyAndPending(s), Fold.MAX, true)
        .dashed("+ draining", "#999999", all, Fold.MAX, true)
        .marks("scale up", UP, ups, true)
        .marks("scale down", DOWN, downs, false)
        .svg());
    double[] rejected = ints(s.rejected());
    boolean anyRejected = r.rejected() > 0;
    SvgChart latency = new SvgChart(run.policy() + ": latency p99 per second", "ms (log)", seconds, true)
        .line("p99", color, s.p99Millis(), Fold.MAX, false)
        .marks("scale up", UP, ups, true)
        .marks("scale down", DOWN, downs, false);
    sb.append(latency.svg());
    if (anyRejected) {
      sb.append(new SvgChart(run.policy() + ": rejected and queued", "requests", seconds, false)
          .line("rejected per second", DOWN, rejected, Fold.MAX, false)
          .dashed("queue depth", "#555555", ints(s.queueDepth()), Fold.MAX, false)
          .svg());
    }
  }

  private static double[] readyAndPending(SimulationSeries s) {
    double[] v = new double[s.seconds()];
    for (int i = 0; i < v.length; i++) {
      v[i] = s.ready()[i] + s.pending()[i];
    }
    return v;
  }

  private static double[] times(SimulationResult r, ScaleEvent.Kind kind) {
    return r.events().stream().filter(e -> e.kind() == kind).mapToDouble(e -> e.timeMillis() / 1000.0).toArray();
  }

  private static double[] ints(int[] values) {
    double[] d = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      d[i] = values[i];
    }
    return d;
  }
}
