package io.stc.cli;

import io.stc.cli.SvgChart.Fold;
import io.stc.traffic.LoadOptions;
import io.stc.traffic.LoadResult;
import io.stc.traffic.SecondSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * The {@code --report} page of {@code stc load}: what was asked for against what happened, second
 * by second (the planned rate, requests sent and completed, latency p50 and p99, errors and
 * requests the client dropped), with the summary on top. Collects the seconds as the run goes.
 */
final class LoadHtml implements Consumer<SecondSample> {
  private final List<SecondSample> seconds = new ArrayList<>();

  @Override
  public void accept(SecondSample s) {
    seconds.add(s);
  }

  String page(LoadOptions o, LoadResult r) {
    StringBuilder sb = ReportPage.begin("stc load: " + (o.closedLoop() ? o.requests() + " requests" : o.traffic())
        + " to " + o.url());
    sb.append("<pre>").append(ReportPage.escape(LoadReport.text(o, r))).append("</pre>\n");
    double length = seconds.isEmpty() ? 1 : Math.max(1, seconds.get(seconds.size() - 1).elapsedSeconds());
    SvgChart rate = new SvgChart("Requests per second", "req/s", length, false)
        .line("sent", "#1f77b4", series(s -> s.sent()), Fold.MEAN, false)
        .line("completed", "#2ca02c", series(s -> s.completed()), Fold.MEAN, false);
    if (!o.closedLoop()) {
      rate.dashed(o.trace() != null ? "trace rate" : "planned rate", "#555555", series(SecondSample::targetRate), Fold.MEAN, false);
    }
    sb.append(rate.svg());
    sb.append(new SvgChart("Latency per second", "ms (log)", length, true)
        .line("p99", "#d62728", series(SecondSample::p99Millis), Fold.MAX, false)
        .line("p50", "#1f77b4", series(SecondSample::p50Millis), Fold.MAX, false)
        .svg());
    if (r.errors() > 0 || r.dropped() > 0) {
      sb.append(new SvgChart("Errors and dropped requests per second", "requests", length, false)
          .line("errors", "#d62728", series(s -> s.errors()), Fold.MAX, false)
          .dashed("dropped by the client", "#555555", series(s -> s.dropped()), Fold.MAX, false)
          .svg());
    }
    sb.append(String.format(Locale.ROOT, "<p style=\"font-size:12px;color:#666\">%d seconds. Latency counts from the"
        + " intended send time, so a stalled server shows.</p>%n", seconds.size()));
    return ReportPage.end(sb);
  }

  private double[] series(ToDoubleFunction<SecondSample> f) {
    double[] v = new double[seconds.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = f.applyAsDouble(seconds.get(i));
    }
    return v;
  }
}
