package io.stc.traffic;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A recorded rate to replay, such as a production service's requests per second: a file with one
 * rate per line (each line is one second), or {@code seconds,rate} lines (each rate holds from its
 * time until the next one's; the last one for as long as the step before it). Blank lines and
 * {@code #} comments are skipped, and so is a header line before the first rate. It can be scaled,
 * and a part of it cut out ({@code start}, {@code duration}); time 0 of the replay is {@code start}
 * in the file.
 */
public final class RateTrace implements RatePattern {
  /** Most points a trace may hold: two weeks of seconds. */
  static final int MAX_POINTS = 14 * 24 * 3600;

  private final String name;
  private final double[] times;
  private final double[] rates;
  private final double start;
  private final double duration;
  private final double scale;

  private RateTrace(String name, double[] times, double[] rates, double start, double duration, double scale) {
    this.name = name;
    this.times = times;
    this.rates = rates;
    this.start = start;
    this.duration = duration;
    this.scale = scale;
  }

  /**
   * Reads a trace; IllegalArgumentException naming the file and line (or the flag) on bad input.
   *
   * @param startSeconds where in the trace the replay begins
   * @param durationSeconds how much of it to replay; null for up to its end
   */
  public static RateTrace read(Path file, double scale, double startSeconds, Double durationSeconds) {
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("--trace-scale must be a positive number, got " + scale);
    }
    if (!(startSeconds >= 0) || Double.isInfinite(startSeconds)) {
      throw new IllegalArgumentException("--trace-start must not be negative");
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("--trace: no such file " + file);
    } catch (IOException e) {
      throw new IllegalArgumentException("--trace: cannot read " + file + " (" + e.getMessage() + ")");
    }
    String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    double[] times = new double[Math.min(lines.size(), MAX_POINTS)];
    double[] rates = new double[times.length];
    int n = 0;
    Boolean csv = null;
    boolean headerAllowed = true;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int hash = line.indexOf('#');
      String text = (hash >= 0 ? line.substring(0, hash) : line).trim();
      if (text.isEmpty()) {
        continue;
      }
      String where = name + ":" + (i + 1) + ": ";
      String[] fields = text.split("\\s*[,;\\t]\\s*|\\s+");
      if (headerAllowed && !Character.isDigit(fields[0].charAt(0)) && fields[0].charAt(0) != '.' && fields[0].charAt(0) != '-'
          && fields[0].charAt(0) != '+') {
        // A header such as "seconds,rate".
        headerAllowed = false;
        continue;
      }
      headerAllowed = false;
      if (fields.length > 2) {
        throw new IllegalArgumentException(where + "expected a rate, or seconds,rate; got '" + text + "'");
      }
      boolean pair = fields.length == 2;
      if (csv != null && csv != pair) {
        throw new IllegalArgumentException(where + (csv
            ? "expected seconds,rate like the lines before, got '" + text + "'"
            : "expected one rate like the lines before, got '" + text + "'"));
      }
      csv = pair;
      if (n == MAX_POINTS) {
        throw new IllegalArgumentException(where + "more than " + MAX_POINTS + " points (two weeks of seconds)");
      }
      double time = pair ? number(fields[0], where, "a time in seconds") : n;
      double rate = number(fields[pair ? 1 : 0], where, "a rate (requests per second)");
      if (rate < 0) {
        throw new IllegalArgumentException(where + "a rate must not be negative, got '" + fields[pair ? 1 : 0] + "'");
      }
      if (time < 0) {
        throw new IllegalArgumentException(where + "a time must not be negative, got '" + fields[0] + "'");
      }
      if (n > 0 && time <= times[n - 1]) {
        throw new IllegalArgumentException(where + "times must increase, got " + plain(time) + " after "
            + plain(times[n - 1]));
      }
      times[n] = time;
      rates[n] = rate;
      n++;
    }
    if (n == 0) {
      throw new IllegalArgumentException("--trace: " + name + " holds no rate");
    }
    times = Arrays.copyOf(times, n);
    rates = Arrays.copyOf(rates, n);
    double lastStep = n > 1 ? times[n - 1] - times[n - 2] : 1;
    double end = times[n - 1] + lastStep;
    if (startSeconds >= end) {
      throw new IllegalArgumentException("--trace-start " + plain(startSeconds) + "s is past the end of " + name
          + " (" + plain(end) + "s)");
    }
    double duration = end - startSeconds;
    if (durationSeconds != null) {
      if (!(durationSeconds > 0)) {
        throw new IllegalArgumentException("--trace-duration must be longer than 0");
      }
      if (durationSeconds > duration + 1e-9) {
        throw new IllegalArgumentException("--trace-duration " + plain(durationSeconds) + "s runs past the end of "
            + name + " (" + plain(duration) + "s from --trace-start)");
      }
      duration = durationSeconds;
    }
    return new RateTrace(name, times, rates, startSeconds, duration, scale);
  }

  private static double number(String text, String where, String what) {
    try {
      double v = Double.parseDouble(text);
      if (Double.isFinite(v)) {
        return v;
      }
    } catch (NumberFormatException e) {
      // Falls through to the one message below.
    }
    throw new IllegalArgumentException(where + "expected " + what + ", got '" + text + "'");
  }

  private static String plain(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.valueOf((long) v);
    }
    return new java.math.BigDecimal(String.format(Locale.ROOT, "%.3f", v)).stripTrailingZeros().toPlainString();
  }

  @Override
  public double rate(double seconds) {
    int i = index(start + seconds);
    return i < 0 ? 0 : rates[i] * scale;
  }

  /** The point in force at trace time {@code t}: the last at or before it; -1 before the first. */
  private int index(double t) {
    if (t < times[0]) {
      return -1;
    }
    int lo = 0;
    int hi = times.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (times[mid] <= t) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /**
   * The mean rate over {@code [from, to)}, integrated piece by piece rather than step by step (a
   * trace may be weeks long); the same as the schedule sees it when the trace's times are whole
   * milliseconds.
   */
  @Override
  public double mean(double from, double to) {
    if (!(to > from)) {
      throw new IllegalArgumentException("mean needs from < to, got [" + from + ", " + to + ")");
    }
    double a = start + from;
    double b = start + to;
    double sum = 0;
    for (int i = Math.max(0, index(a)); i < times.length && times[i] < b; i++) {
      double lo = Math.max(a, times[i]);
      double hi = Math.min(b, i + 1 < times.length ? times[i + 1] : Double.POSITIVE_INFINITY);
      if (hi > lo) {
        sum += rates[i] * (hi - lo);
      }
    }
    return sum * scale / (to - from);
  }

  /** Seconds replayed. */
  public double durationSeconds() {
    return duration;
  }

  /** The mean rate over what is replayed. */
  public double meanRate() {
    return mean(0, duration);
  }

  /** The highest rate replayed. */
  public double peakRate() {
    double peak = 0;
    for (int i = 0; i < times.length; i++) {
      double to = i + 1 < times.length ? times[i + 1] : Double.POSITIVE_INFINITY;
      if (to > start && times[i] < start + duration) {
        peak = Math.max(peak, rates[i] * scale);
      }
    }
    return peak;
  }

  /** What is replayed, in words: the file, and the scale and cut when they are not the whole of it. */
  public String describe() {
    StringBuilder sb = new StringBuilder("trace ").append(name);
    if (scale != 1) {
      sb.append(" x").append(plain(scale));
    }
    if (start > 0) {
      sb.append(" from ").append(plain(start)).append("s");
    }
    return sb.toString();
  }
}
