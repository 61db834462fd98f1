package io.stc.traffic;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A recorded rate to replay, such as a production service's requests per second: a file with one
 * rate per line (each line is one second), or {@code time,rate} lines (each rate holds from its
 * time until the next one's; the last one for as long as the step before it). A time is seconds on
 * any clock (from 0, or Unix time as Prometheus exports it) or a date-time
 * ({@code 2026-12-01T10:00:00Z}, with an offset, or without a zone and with a space for the
 * {@code T}, as Grafana's CSV export writes it); the replay begins at the first point. Fields may
 * be quoted, and separated by a comma, a semicolon, a tab or spaces. Blank lines and {@code #}
 * comments are skipped, and so is a header line before the first rate. Or a web server's access
 * log, its requests counted per second ({@link AccessLogTrace}). It can be scaled, and a part of it
 * cut out ({@code start}, {@code duration}, from the first point).
 */
public final class RateTrace implements RatePattern {
  /** Most points a trace may hold: two weeks of seconds. */
  static final int MAX_POINTS = 14 * 24 * 3600;

  private static final String BOM = "\uFEFF";
  private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");

  private final String name;
  /** Seconds since the epoch of the trace's first point; NaN when its times are not on the wall clock. */
  private final double originEpochSeconds;
  /** What reading an access log found, for {@link #describe()}; null for a rate file. */
  private final String logNote;
  /** The access log read, for its requests' targets; null for a rate file. */
  private final Path log;
  private final double[] times;
  private final double[] rates;
  private final double start;
  private final double duration;
  private final double scale;

  private RateTrace(String name, double originEpochSeconds, String logNote, Path log, double[] times, double[] rates,
      double start, double duration, double scale) {
    this.name = name;
    this.log = log;
    this.originEpochSeconds = originEpochSeconds;
    this.logNote = logNote;
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
    String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    if (AccessLogTrace.looksLikeOne(firstLine(file))) {
      AccessLogTrace.Counts c = AccessLogTrace.read(file, name, MAX_POINTS);
      String note = "an access log of " + c.requests() + " requests"
          + (c.skipped() == 0 ? "" : "; " + c.skipped() + " line" + (c.skipped() == 1 ? "" : "s")
              + " without a time skipped, the first at line " + c.firstSkippedLine());
      return finish(name, c.firstEpochSecond(), note, file, c.times(), c.rates(), c.times().length, scale, startSeconds,
          durationSeconds);
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("--trace: cannot read " + file + " (" + e.getMessage() + ")");
    }
    double[] times = new double[Math.min(lines.size(), MAX_POINTS)];
    double[] rates = new double[times.length];
    int n = 0;
    Boolean csv = null;
    Boolean dated = null;
    boolean headerAllowed = true;
    for (int i = 0; i < lines.size(); i++) {
      String line = i == 0 && lines.get(0).startsWith(BOM) ? lines.get(0).substring(1) : lines.get(i);
      int hash = line.indexOf('#');
      String text = (hash >= 0 ? line.substring(0, hash) : line).trim();
      if (text.isEmpty()) {
        continue;
      }
      String where = name + ":" + (i + 1) + ": ";
      String[] fields = fields(text);
      if (headerAllowed && !fields[0].isEmpty() && !startsNumber(fields[0])) {
        // A header such as "seconds,rate" or "Time","Value".
        headerAllowed = false;
        continue;
      }
      headerAllowed = false;
      if (fields.length > 2) {
        throw new IllegalArgumentException(where + "expected a rate, or time,rate; got '" + text + "'");
      }
      boolean pair = fields.length == 2;
      if (csv != null && csv != pair) {
        throw new IllegalArgumentException(where + (csv
            ? "expected time,rate like the lines before, got '" + text + "'"
            : "expected one rate like the lines before, got '" + text + "'"));
      }
      csv = pair;
      if (n == MAX_POINTS) {
        throw new IllegalArgumentException(where + "more than " + MAX_POINTS + " points (two weeks of seconds)");
      }
      double time = n;
      if (pair) {
        boolean date = looksDated(fields[0]);
        if (dated != null && dated != date) {
          throw new IllegalArgumentException(where + (dated
              ? "expected a date-time like the lines before, got '" + fields[0] + "'"
              : "expected a time in seconds like the lines before, got '" + fields[0] + "'"));
        }
        dated = date;
        time = date ? dateTime(fields[0], where) : number(fields[0], where, "a time (seconds, or a date-time such as 2026-12-01T10:00:00Z)");
      }
      double rate = number(fields[pair ? 1 : 0], where, "a rate (requests per second)");
      if (rate < 0) {
        throw new IllegalArgumentException(where + "a rate must not be negative, got '" + fields[pair ? 1 : 0] + "'");
      }
      if (n > 0 && time <= times[n - 1]) {
        throw new IllegalArgumentException(where + "times must increase, got " + (dated == Boolean.TRUE ? fields[0] : plain(time - times[0]) + "s")
            + " after " + (dated == Boolean.TRUE ? "the line before" : plain(times[n - 1] - times[0]) + "s") + " (from the first point)");
      }
      times[n] = time;
      rates[n] = rate;
      n++;
    }
    if (n == 0) {
      throw new IllegalArgumentException("--trace: " + name + " holds no rate");
    }
    // Dates, or Unix times (from 1973 on), are on the wall clock; seconds from 0 are not.
    double origin = dated == Boolean.TRUE || times[0] >= 1e8 ? times[0] : Double.NaN;
    return finish(name, origin, null, null, times, rates, n, scale, startSeconds, durationSeconds);
  }

  /**
   * The first line that is neither blank nor a comment, read leniently (an access log may hold
   * bytes that are not UTF-8); "" when there is none.
   */
  private static String firstLine(Path file) {
    try (BufferedReader in = AccessLogTrace.lenient(file)) {
      String line;
      while ((line = in.readLine()) != null) {
        String t = line.startsWith(BOM) ? line.substring(1).strip() : line.strip();
        if (!t.isEmpty() && !t.startsWith("#")) {
          return t;
        }
      }
      return "";
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("--trace: no such file " + file);
    } catch (IOException e) {
      throw new IllegalArgumentException("--trace: cannot read " + file + " (" + e.getMessage() + ")");
    }
  }

  /** The first {@code n} points, from the first, cut as {@code start} and {@code duration} ask. */
  private static RateTrace finish(String name, double originEpochSeconds, String logNote, Path log, double[] times, double[] rates,
      int n, double scale, double startSeconds, Double durationSeconds) {
    times = Arrays.copyOf(times, n);
    rates = Arrays.copyOf(rates, n);
    // The replay begins at the first point, whatever clock the times are on.
    double origin = times[0];
    for (int i = 0; i < n; i++) {
      times[i] -= origin;
    }
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
    return new RateTrace(name, originEpochSeconds, logNote, log, times, rates, startSeconds, duration, scale);
  }

  /** The fields of a line: split at commas, semicolons or tabs when it has any, else at spaces; quotes taken off. */
  private static String[] fields(String text) {
    String[] fields;
    if (text.indexOf(',') >= 0 || text.indexOf(';') >= 0 || text.indexOf('\t') >= 0) {
      fields = text.split("\\s*[,;\\t]\\s*");
    } else {
      fields = text.split("\\s+");
      if (fields.length == 3 && DATE.matcher(fields[0]).matches()) {
        // "2026-12-01 10:00:00 400": a date-time with a space, then the rate.
        fields = new String[] {fields[0] + " " + fields[1], fields[2]};
      }
    }
    for (int i = 0; i < fields.length; i++) {
      String f = fields[i];
      if (f.length() >= 2 && f.startsWith("\"") && f.endsWith("\"")) {
        fields[i] = f.substring(1, f.length() - 1).trim();
      }
    }
    return fields;
  }

  private static boolean startsNumber(String field) {
    char c = field.charAt(0);
    return Character.isDigit(c) || c == '.' || c == '-' || c == '+';
  }

  /** Whether a time field is a date-time rather than a number of seconds: it begins with a date. */
  private static boolean looksDated(String field) {
    return field.length() >= 10 && DATE.matcher(field.substring(0, 10)).matches();
  }

  /**
   * A date-time in seconds since the epoch: ISO 8601 with a zone or an offset, or without one (then
   * read as UTC: only the differences between the points count), a space allowed for the {@code T}.
   */
  private static double dateTime(String text, String where) {
    try {
      Instant instant = instant(text);
      return instant.getEpochSecond() + instant.getNano() / 1e9;
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(where + "expected a date-time such as 2026-12-01T10:00:00Z, got '" + text + "'");
    }
  }

  /**
   * A date-time as traces, logs and people write it: ISO 8601 with a zone or an offset, or with
   * neither (then UTC), a space allowed for the {@code T}.
   *
   * @throws DateTimeException when it is none
   */
  public static Instant instant(String text) {
    String t = text.strip();
    String iso = t.length() > 10 && t.charAt(10) == ' ' ? t.substring(0, 10) + "T" + t.substring(11).trim() : t;
    TemporalAccessor parsed = DateTimeFormatter.ISO_DATE_TIME.parseBest(iso, ZonedDateTime::from, OffsetDateTime::from, LocalDateTime::from);
    return parsed instanceof ZonedDateTime z ? z.toInstant()
        : parsed instanceof OffsetDateTime o ? o.toInstant() : ((LocalDateTime) parsed).toInstant(ZoneOffset.UTC);
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

  /** The wall-clock time the replay begins at, in seconds since the epoch; NaN when the trace's times are not dates or Unix times. */
  public double startEpochSeconds() {
    return originEpochSeconds + start;
  }

  /**
   * The targets of the GETs of the access log this trace was read from, from where its replay
   * begins, at most {@code max}; IllegalArgumentException when it is no access log, or holds none.
   */
  public RequestTargets requestTargets(int max) {
    if (log == null) {
      throw new IllegalArgumentException("--trace-targets needs an access log as --trace, and " + name + " is a rate file");
    }
    return AccessLogTrace.targets(log, name, (long) Math.floor(startEpochSeconds()), max);
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
    if (logNote != null) {
      sb.append(", ").append(logNote);
    }
    return sb.toString();
  }
}
