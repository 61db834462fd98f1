package io.stc.traffic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A web server's access log read as a rate trace: each line is one request at its time, counted
 * per second. Reads the common and combined formats of nginx, Apache and stc
 * ({@code [10/Oct/2026:13:55:36 +0000]}), HAProxy's HTTP log ({@code [10/Oct/2026:13:55:36.655]},
 * no zone), Envoy's default ({@code [2026-10-10T13:55:36.655Z]}), and JSON lines with the time in
 * {@code time}, {@code timestamp}, {@code ts}, {@code @timestamp}, {@code start_time},
 * {@code StartUTC}, {@code time_iso8601} or {@code time_local} (a date-time, or seconds or
 * milliseconds since the epoch). Lines may come a little out of order, as workers write them; a
 * line without a time (a server's own message in the same file) is skipped and counted.
 */
final class AccessLogTrace {
  private static final Pattern CLF = Pattern.compile("\\[(\\d{2}/[A-Za-z]{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)(?: ([+-]\\d{4}))?]");
  private static final Pattern BRACKETED_ISO = Pattern.compile("\\[(\\d{4}-\\d{2}-\\d{2}T[^\\]\\s]+)]");
  private static final Pattern CLF_ALONE = Pattern.compile("^(\\d{2}/[A-Za-z]{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)(?: ([+-]\\d{4}))?$");
  private static final DateTimeFormatter CLF_TIME = new DateTimeFormatterBuilder()
      .appendPattern("dd/MMM/yyyy:HH:mm:ss")
      .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd()
      .toFormatter(Locale.ENGLISH);
  private static final String[] JSON_TIME_FIELDS = {"time", "timestamp", "ts", "@timestamp", "start_time", "StartUTC", "time_iso8601", "time_local"};
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A request line as logs quote it: {@code "GET /cart?id=7 HTTP/1.1"}. */
  private static final Pattern REQUEST_LINE = Pattern.compile("\"([A-Z]+) (\\S+) HTTP/[0-9.]+\"");
  private static final String[] JSON_METHOD_FIELDS = {"method", "request_method", "RequestMethod"};
  private static final String[] JSON_TARGET_FIELDS = {"request_uri", "uri", "RequestPath", "path", "url"};
  /** Lines may be written out of order by this much before the first: a busy server's workers. */
  private static final long MAX_BEFORE_FIRST_SECONDS = 3600;

  /** The requests per second of a log, from its first second to its last. */
  record Counts(double[] times, double[] rates, long requests, long skipped, int firstSkippedLine, long firstEpochSecond) {}

  private AccessLogTrace() {}

  /** Whether {@code line}, the first that is not blank, is an access log's: JSON, or a bracketed time among other fields. */
  static boolean looksLikeOne(String line) {
    String t = line.strip();
    return t.startsWith("{") || CLF.matcher(t).find() || BRACKETED_ISO.matcher(t).find();
  }

  /** What to do with each line that is not blank: its number, and the second of its time (Long.MIN_VALUE when it has none). */
  private interface Line {
    /** False stops the reading. */
    boolean take(String line, int number, long second);
  }

  /** Reads {@code file} line by line; IllegalArgumentException naming the file and line on a bad time. */
  private static void eachLine(Path file, String name, Line each) {
    try (BufferedReader in = lenient(file)) {
      TimeCache cache = new TimeCache();
      String line;
      int number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        long second;
        try {
          second = cache.second(line);
        } catch (IllegalArgumentException e) {
          // Named here, not for every line: millions of lines, and a message for one at most.
          throw new IllegalArgumentException(name + ":" + number + ": " + e.getMessage(), e);
        }
        if (!each.take(line, number, second)) {
          return;
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("--trace: cannot read " + file + " (" + e.getMessage() + ")");
    }
  }

  /** Counts the requests of {@code file} per second; IllegalArgumentException naming the file and line on bad input. */
  static Counts read(Path file, String name, int maxSeconds) {
    Map<Long, int[]> perSecond = new HashMap<>();
    long[] first = {Long.MIN_VALUE};
    long[] min = {Long.MAX_VALUE};
    long[] max = {Long.MIN_VALUE};
    long[] requests = {0};
    long[] skipped = {0};
    int[] firstSkipped = {0};
    eachLine(file, name, (line, number, second) -> {
      if (second == Long.MIN_VALUE) {
        if (skipped[0]++ == 0) {
          firstSkipped[0] = number;
        }
        return true;
      }
      if (first[0] == Long.MIN_VALUE) {
        first[0] = second;
      } else if (second < first[0] - MAX_BEFORE_FIRST_SECONDS) {
        throw new IllegalArgumentException(name + ":" + number + ": a request more than an hour before the log's first line");
      }
      min[0] = Math.min(min[0], second);
      max[0] = Math.max(max[0], second);
      if (max[0] - min[0] >= maxSeconds) {
        throw new IllegalArgumentException(name + ":" + number + ": the log spans more than " + maxSeconds + " seconds (two weeks)");
      }
      perSecond.computeIfAbsent(second, s -> new int[1])[0]++;
      requests[0]++;
      return true;
    });
    if (requests[0] == 0) {
      throw new IllegalArgumentException("--trace: " + name + " holds no request with a time");
    }
    int n = (int) (max[0] - min[0] + 1);
    double[] times = new double[n];
    double[] rates = new double[n];
    for (int i = 0; i < n; i++) {
      times[i] = i;
      int[] c = perSecond.get(min[0] + i);
      rates[i] = c == null ? 0 : c[0];
    }
    return new Counts(times, rates, requests[0], skipped[0], firstSkipped[0], min[0]);
  }

  /**
   * The targets of the GETs logged from {@code fromEpochSecond} on, in the log's order, at most
   * {@code max} of them; other requests (and GETs whose target cannot be sent as it is) are counted
   * as skipped. Read as {@link #read} reads the log, and a line it would refuse is refused here too.
   */
  static RequestTargets targets(Path file, String name, long fromEpochSecond, int max) {
    RequestTargets.Builder targets = RequestTargets.builder();
    eachLine(file, name, (line, number, second) -> {
      if (second == Long.MIN_VALUE || second < fromEpochSecond) {
        return true;
      }
      String[] request = request(line.strip());
      if (request != null && request[0].equals("GET") && RequestTargets.usable(request[1])) {
        targets.add(request[1]);
      } else {
        targets.skip();
      }
      return targets.count() < max;
    });
    if (targets.count() == 0) {
      throw new IllegalArgumentException("--trace-targets: " + name + " holds no GET with a target to send");
    }
    return targets.build(name);
  }

  /** A line's method and target, or null when it names none. */
  private static String[] request(String line) {
    if (!line.startsWith("{")) {
      Matcher m = REQUEST_LINE.matcher(line);
      return m.find() ? new String[] {m.group(1), m.group(2)} : null;
    }
    JsonNode o;
    try {
      o = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return null;
    }
    // Caddy nests the request; the others keep it flat.
    JsonNode r = o.path("request").isObject() ? o.path("request") : o;
    if (r.path("request").isTextual()) {
      Matcher m = REQUEST_LINE.matcher("\"" + r.path("request").asText() + "\"");
      if (m.matches()) {
        return new String[] {m.group(1), m.group(2)};
      }
    }
    String method = first(r, JSON_METHOD_FIELDS);
    String target = first(r, JSON_TARGET_FIELDS);
    return method == null || target == null ? null : new String[] {method, target};
  }

  private static String first(JsonNode o, String[] fields) {
    for (String f : fields) {
      if (o.path(f).isTextual()) {
        return o.path(f).asText();
      }
    }
    return null;
  }

  /** A reader of {@code file} as UTF-8 that reads bytes which are not as a replacement character: a log may hold any. */
  static BufferedReader lenient(Path file) throws IOException {
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    return new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder));
  }

  /**
   * The second of a line's time, Long.MIN_VALUE when it has none; the last time text and its
   * second are kept, as a log's lines come many to a second.
   */
  private static final class TimeCache {
    private String lastText;
    private long lastSecond;

    long second(String line) {
      String t = line.strip();
      if (t.startsWith("{")) {
        return jsonSecond(t);
      }
      Matcher clf = CLF.matcher(t);
      if (clf.find()) {
        String text = clf.group(0);
        if (!text.equals(lastText)) {
          lastSecond = clfSecond(clf.group(1), clf.group(2));
          lastText = text;
        }
        return lastSecond;
      }
      Matcher iso = BRACKETED_ISO.matcher(t);
      if (iso.find()) {
        return isoSecond(iso.group(1));
      }
      return Long.MIN_VALUE;
    }
  }

  private static long clfSecond(String time, String zone) {
    try {
      LocalDateTime local = LocalDateTime.parse(time, CLF_TIME);
      // HAProxy writes its local time without a zone: only the differences between lines count.
      ZoneOffset offset = zone == null ? ZoneOffset.UTC : ZoneOffset.of(zone);
      return local.toEpochSecond(offset);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("expected a time such as [10/Oct/2026:13:55:36 +0000], got '[" + time
          + (zone == null ? "" : " " + zone) + "]'");
    }
  }

  private static long isoSecond(String text) {
    try {
      return RateTrace.instant(text).getEpochSecond();
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("expected a date-time such as 2026-10-10T13:55:36Z, got '" + text + "'");
    }
  }

  private static long jsonSecond(String line) {
    JsonNode o;
    try {
      o = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("a line that starts as JSON but is not: "
          + (line.length() > 80 ? line.substring(0, 80) + "..." : line));
    }
    for (String field : JSON_TIME_FIELDS) {
      JsonNode v = o.get(field);
      if (v == null || v.isNull()) {
        continue;
      }
      if (v.isNumber()) {
        double d = v.asDouble();
        // Milliseconds since the epoch are past 1e11 from 1973 on; seconds will not be for 3,000 years.
        return (long) Math.floor(d > 1e11 ? d / 1000 : d);
      }
      String text = v.asText().strip();
      Matcher clf = CLF_ALONE.matcher(text);
      if (clf.matches()) {
        return clfSecond(clf.group(1), clf.group(2));
      }
      try {
        return isoSecond(text);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
      }
    }
    return Long.MIN_VALUE;
  }
}
