package io.stc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Lays out one frame of {@code stc top} from the admin API's stats, as plain lines that fit the width. */
final class TopScreen {
  static final int WIDTH = 80;
  private static final String SPARKS = "▁▂▃▄▅▆▇█";
  private static final int SPARK_WIDTH = 8;
  private static final String ROW = "%-21s %-5s %-4s %4s %8s %6s %7s %7s %s";

  private TopScreen() {}

  /** The frame's lines; {@code maxEvents} bounds the events shown at the bottom. */
  static List<String> render(JsonNode s, String url, int width, int maxEvents) {
    List<String> out = new ArrayList<>();
    JsonNode t = s.path("totals");
    JsonNode rps = t.path("rps");
    out.add(String.format(Locale.ROOT, "stc top  %s  algorithm %s  up %s",
        url, s.path("algorithm").asText("?"), uptime(s.path("uptime_s").asDouble())));
    out.add(String.format(Locale.ROOT, "requests %d  ok %.2f%%  failed %d  active %d  req/s %s %s %s",
        t.path("requests").asLong(), t.path("success_rate").asDouble(1) * 100, t.path("failures").asLong(),
        t.path("active").asLong(), num(rps.path("1s").asDouble()), num(rps.path("10s").asDouble()),
        num(rps.path("60s").asDouble())));
    out.add("");
    out.add(String.format(Locale.ROOT, ROW, "BACKEND", "STATE", "CB", "INFL", "REQS", "ERR", "AVG ms", "P99 ms", "REQ/S"));
    JsonNode backends = s.path("backends");
    if (backends.isEmpty()) {
      out.add("(no backends)");
    }
    for (JsonNode b : backends) {
      String state = b.path("removing").asBoolean() ? "rm" : shortState(b.path("state").asText());
      JsonNode lat = b.path("latency_ms");
      out.add(String.format(Locale.ROOT, ROW,
          clip(b.path("id").asText(), 21), state, circuit(b.path("circuit").asText("")),
          count(b.path("in_flight").asLong(), 4), count(b.path("requests").asLong(), 8),
          count(b.path("errors").asLong(), 6), ms(lat.path("avg").asDouble()), ms(lat.path("p99").asDouble()),
          spark(b.path("rps_history"))));
    }
    JsonNode events = s.path("events");
    if (maxEvents > 0 && !events.isEmpty()) {
      out.add("");
      out.add("EVENTS");
      int start = Math.max(0, events.size() - maxEvents);
      for (int i = start; i < events.size(); i++) {
        JsonNode e = events.get(i);
        String time = e.path("time").asText();
        String hms = time.length() >= 19 ? time.substring(11, 19) : time;
        out.add(hms + " " + e.path("message").asText(e.path("type").asText()));
      }
    }
    List<String> clipped = new ArrayList<>(out.size());
    for (String line : out) {
      clipped.add(clip(line, width));
    }
    return clipped;
  }

  private static String shortState(String s) {
    return switch (s) {
      case "draining" -> "drain";
      default -> s;
    };
  }

  private static String circuit(String c) {
    return switch (c.toLowerCase(Locale.ROOT)) {
      case "closed" -> "ok";
      case "open" -> "OPEN";
      case "half_open" -> "half";
      default -> "-";
    };
  }

  static String spark(JsonNode history) {
    int n = Math.min(history.size(), SPARK_WIDTH);
    if (n == 0) {
      return "";
    }
    long max = 0;
    for (int i = history.size() - n; i < history.size(); i++) {
      max = Math.max(max, history.get(i).asLong());
    }
    StringBuilder sb = new StringBuilder(n);
    for (int i = history.size() - n; i < history.size(); i++) {
      long v = history.get(i).asLong();
      int level = max == 0 ? 0 : (int) Math.min(SPARKS.length() - 1, v * (SPARKS.length() - 1) / max);
      sb.append(v == 0 ? ' ' : SPARKS.charAt(level));
    }
    return sb.toString();
  }

  private static String uptime(double seconds) {
    long s = (long) seconds;
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }

  private static String num(double v) {
    return v >= 1000 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String ms(double v) {
    return v >= 10_000 ? String.format(Locale.ROOT, "%.0fs", v / 1000) : String.format(Locale.ROOT, "%.2f", v);
  }

  /** A count in at most {@code width} characters (12345678 becomes 12.3M). */
  static String count(long v, int width) {
    String s = Long.toString(v);
    if (s.length() <= width) {
      return s;
    }
    String[] units = {"k", "M", "G", "T"};
    double d = v;
    for (String u : units) {
      d /= 1000;
      for (String f : new String[] {"%.1f%s", "%.0f%s"}) {
        String c = String.format(Locale.ROOT, f, d, u);
        if (c.length() <= width) {
          return c;
        }
      }
    }
    return "+";
  }

  static String clip(String s, int width) {
    return s.length() <= width ? s : s.substring(0, Math.max(0, width - 1)) + "…";
  }
}
