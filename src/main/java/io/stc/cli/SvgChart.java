package io.stc.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A time-series line chart as an inline SVG element: per-second values over a run, with axes,
 * a legend and vertical marks for events. Long runs are folded to about one point per pixel
 * (the maximum or the mean of each column), so the file stays small.
 */
final class SvgChart {
  private static final int WIDTH = 960;
  private static final int HEIGHT = 230;
  private static final int LEFT = 64;
  private static final int RIGHT = 16;
  private static final int TOP = 34;
  private static final int BOTTOM = 30;
  private static final int PLOT_W = WIDTH - LEFT - RIGHT;
  private static final int PLOT_H = HEIGHT - TOP - BOTTOM;

  /** How a column of several seconds is folded into one point. */
  enum Fold { MAX, MEAN }

  private record Line(String name, String color, double[] values, Fold fold, boolean step, boolean dashed) {}

  private record Marks(String name, String color, double[] seconds, boolean up) {}

  private final String title;
  private final String unit;
  private final double seconds;
  private final boolean logScale;
  private final List<Line> lines = new ArrayList<>();
  private final List<Marks> marks = new ArrayList<>();

  /**
   * @param seconds length of the x axis
   * @param logScale a logarithmic y axis (for latencies spanning decades)
   */
  SvgChart(String title, String unit, double seconds, boolean logScale) {
    this.title = title;
    this.unit = unit;
    this.seconds = seconds;
    this.logScale = logScale;
  }

  /** A line through one value per second; NaN leaves a gap. */
  SvgChart line(String name, String color, double[] values, Fold fold, boolean step) {
    lines.add(new Line(name, color, values, fold, step, false));
    return this;
  }

  /** A dashed line, for a secondary series. */
  SvgChart dashed(String name, String color, double[] values, Fold fold, boolean step) {
    lines.add(new Line(name, color, values, fold, step, true));
    return this;
  }

  /** Vertical marks at these times: triangles pointing up or down along the top edge. */
  SvgChart marks(String name, String color, double[] atSeconds, boolean up) {
    marks.add(new Marks(name, color, atSeconds, up));
    return this;
  }

  String svg() {
    List<double[]> folded = new ArrayList<>();
    double top = 0;
    double bottom = Double.POSITIVE_INFINITY;
    for (Line l : lines) {
      double[] f = fold(l.values, l.fold);
      folded.add(f);
      for (double v : f) {
        if (!Double.isNaN(v)) {
          top = Math.max(top, v);
          if (v > 0) {
            bottom = Math.min(bottom, v);
          }
        }
      }
    }
    Axis y = logScale ? Axis.log(bottom, top) : Axis.linear(top);
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
            + " role=\"img\" aria-label=\"%s\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT, ReportPage.escape(title)));
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"16\" class=\"title\">%s</text>%n", LEFT, ReportPage.escape(title)));
    grid(sb, y);
    for (Marks m : marks) {
      drawMarks(sb, m);
    }
    for (int i = 0; i < lines.size(); i++) {
      drawLine(sb, lines.get(i), folded.get(i), y);
    }
    legend(sb);
    sb.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
        LEFT, TOP, PLOT_W, PLOT_H));
    sb.append("</svg>\n");
    return sb.toString();
  }

  /** One value per pixel column at most. */
  private static double[] fold(double[] values, Fold fold) {
    int n = values.length;
    if (n <= PLOT_W) {
      return values;
    }
    double[] out = new double[PLOT_W];
    for (int c = 0; c < PLOT_W; c++) {
      int from = (int) ((long) c * n / PLOT_W);
      int to = (int) ((long) (c + 1) * n / PLOT_W);
      double max = Double.NaN;
      double sum = 0;
      int count = 0;
      for (int i = from; i < to; i++) {
        double v = values[i];
        if (!Double.isNaN(v)) {
          max = Double.isNaN(max) ? v : Math.max(max, v);
          sum += v;
          count++;
        }
      }
      out[c] = count == 0 ? Double.NaN : fold == Fold.MAX ? max : sum / count;
    }
    return out;
  }

  private double x(double second) {
    return LEFT + PLOT_W * Math.min(1, Math.max(0, second / seconds));
  }

  private void grid(StringBuilder sb, Axis y) {
    for (double v : y.ticks) {
      double py = TOP + PLOT_H * (1 - y.position(v));
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
              + "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>%n",
          LEFT, py, LEFT + PLOT_W, py, LEFT - 6, py + 4, ReportPage.escape(number(v))));
    }
    sb.append(String.format(Locale.ROOT,
        "<text x=\"14\" y=\"%d\" class=\"tick\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">%s</text>%n",
        TOP + PLOT_H / 2, TOP + PLOT_H / 2, ReportPage.escape(unit)));
    double step = timeStep(seconds);
    for (double t = 0; t <= seconds + 1e-9; t += step) {
      double px = x(t);
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>"
              + "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>%n",
          px, TOP, px, TOP + PLOT_H, px, TOP + PLOT_H + 18, clock(t)));
    }
  }

  private void drawLine(StringBuilder sb, Line l, double[] values, Axis y) {
    double perPoint = seconds / values.length;
    StringBuilder d = new StringBuilder();
    boolean pen = false;
    double lastY = 0;
    for (int i = 0; i < values.length; i++) {
      double v = values[i];
      if (Double.isNaN(v) || (logScale && v <= 0)) {
        pen = false;
        continue;
      }
      double py = TOP + PLOT_H * (1 - y.position(v));
      double x0 = x(i * perPoint);
      double x1 = x((i + 1) * perPoint);
      if (l.step) {
        d.append(pen ? String.format(Locale.ROOT, "L%.1f %.1f", x0, lastY) : String.format(Locale.ROOT, "M%.1f %.1f", x0, py));
        d.append(String.format(Locale.ROOT, "L%.1f %.1fL%.1f %.1f", x0, py, x1, py));
      } else {
        double mid = (x0 + x1) / 2;
        d.append(String.format(Locale.ROOT, pen ? "L%.1f %.1f" : "M%.1f %.1f", mid, py));
      }
      pen = true;
      lastY = py;
    }
    if (d.length() > 0) {
      sb.append(String.format(Locale.ROOT,
          "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s/>%n",
          d, l.color, l.dashed ? " stroke-dasharray=\"4 3\"" : ""));
    }
  }

  private void drawMarks(StringBuilder sb, Marks m) {
    for (double t : m.seconds) {
      double px = x(t);
      String tip = m.up
          ? String.format(Locale.ROOT, "%.1f,%d %.1f,%d %.1f,%d", px - 4, TOP - 1, px + 4, TOP - 1, px, TOP - 8)
          : String.format(Locale.ROOT, "%.1f,%d %.1f,%d %.1f,%d", px - 4, TOP - 8, px + 4, TOP - 8, px, TOP - 1);
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-opacity=\"0.25\"/>"
              + "<polygon points=\"%s\" fill=\"%s\"/>%n",
          px, TOP, px, TOP + PLOT_H, m.color, tip, m.color));
    }
  }

  private void legend(StringBuilder sb) {
    record Item(String name, String color, boolean mark) {}
    List<Item> items = new ArrayList<>();
    lines.forEach(l -> items.add(new Item(l.name, l.color, false)));
    marks.forEach(m -> items.add(new Item(m.name, m.color, true)));
    // Laid out right to left from the top right corner, each item as wide as its text.
    double x = WIDTH - RIGHT;
    for (int i = items.size() - 1; i >= 0; i--) {
      Item it = items.get(i);
      x -= it.name.length() * 6.4 + 32;
      if (it.mark) {
        sb.append(String.format(Locale.ROOT, "<polygon points=\"%.1f,21 %.1f,21 %.1f,13\" fill=\"%s\"/>",
            x + 3, x + 13, x + 8, it.color));
      } else {
        sb.append(String.format(Locale.ROOT,
            "<line x1=\"%.1f\" y1=\"17\" x2=\"%.1f\" y2=\"17\" stroke=\"%s\" stroke-width=\"2\"/>", x, x + 16, it.color));
      }
      sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"21\" class=\"legend\">%s</text>%n",
          x + 20, ReportPage.escape(it.name)));
    }
  }

  private static double timeStep(double seconds) {
    double[] steps = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
    for (double s : steps) {
      if (seconds / s <= 12) {
        return s;
      }
    }
    return 86400 * Math.ceil(seconds / 86400 / 12);
  }

  private static String clock(double t) {
    long s = Math.round(t);
    if (s % 3600 == 0 && s > 0) {
      return (s / 3600) + "h";
    }
    if (s % 60 == 0 && s > 0) {
      return s >= 3600 ? (s / 3600) + "h" + (s % 3600 / 60) + "m" : (s / 60) + "m";
    }
    return s >= 60 ? (s / 60) + "m" + (s % 60) + "s" : s + "s";
  }

  private static String number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e12) {
      return String.format(Locale.ROOT, "%,d", (long) v);
    }
    return String.format(Locale.ROOT, Math.abs(v) < 1 ? "%.2f" : "%.1f", v);
  }

  /** Where values sit on the y axis (0 at the bottom, 1 at the top) and which get a grid line. */
  private record Axis(double low, double high, boolean log, double[] ticks) {
    static Axis linear(double top) {
      double step = niceStep(Math.max(top, 1) / 4);
      double high = Math.max(step, Math.ceil(top / step - 1e-9) * step);
      int n = (int) Math.round(high / step);
      double[] ticks = new double[n + 1];
      for (int i = 0; i <= n; i++) {
        ticks[i] = i * step;
      }
      return new Axis(0, high, false, ticks);
    }

    static Axis log(double bottom, double top) {
      if (!(top > 0) || Double.isInfinite(bottom)) {
        return new Axis(1, 10, true, new double[] {1, 10});
      }
      double low = Math.pow(10, Math.floor(Math.log10(bottom)));
      double high = Math.pow(10, Math.ceil(Math.log10(top)));
      if (high <= low) {
        high = low * 10;
      }
      int decades = (int) Math.round(Math.log10(high / low));
      double[] ticks = new double[decades + 1];
      for (int i = 0; i <= decades; i++) {
        ticks[i] = low * Math.pow(10, i);
      }
      return new Axis(low, high, true, ticks);
    }

    double position(double v) {
      if (log) {
        return (Math.log10(Math.max(v, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low));
      }
      return (v - low) / (high - low);
    }

    private static double niceStep(double raw) {
      double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
      for (double m : new double[] {1, 2, 2.5, 5, 10}) {
        if (m * magnitude >= raw) {
          return m * magnitude;
        }
      }
      return 10 * magnitude;
    }
  }
}
