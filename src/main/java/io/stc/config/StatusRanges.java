package io.stc.config;

import java.util.ArrayList;
import java.util.List;

/**
 * HTTP status codes a health check accepts (or a request is retried on), written as codes and ranges ({@code 200-399},
 * {@code 200,204}, {@code 2xx}), as HAProxy's {@code http-check expect status} and Envoy's
 * {@code expected_statuses} take them.
 */
public final class StatusRanges {
  /** No status at all ({@code retry_on_status}'s default). */
  public static final StatusRanges NONE = new StatusRanges(new int[0], new int[0], "none");

  /** What HAProxy, nginx, Traefik and Kubernetes' probes accept by default: 2xx and 3xx. */
  public static final StatusRanges DEFAULT = parse("200-399");

  private final int[] lows;
  private final int[] highs;
  private final String text;

  private StatusRanges(int[] lows, int[] highs, String text) {
    this.lows = lows;
    this.highs = highs;
    this.text = text;
  }

  /** Parses a comma-separated list of codes ({@code 204}), ranges ({@code 200-299}) and classes ({@code 3xx}), each from 100 to 599. */
  public static StatusRanges parse(String s) {
    List<int[]> ranges = new ArrayList<>();
    StringBuilder canonical = new StringBuilder();
    for (String part : s.split(",", -1)) {
      String p = part.trim();
      int low;
      int high;
      if (p.length() == 3 && (p.endsWith("xx") || p.endsWith("XX"))) {
        low = code(p.charAt(0) + "00", s);
        high = low + 99;
      } else if (p.indexOf('-') > 0) {
        low = code(p.substring(0, p.indexOf('-')).trim(), s);
        high = code(p.substring(p.indexOf('-') + 1).trim(), s);
        if (high < low) {
          throw new IllegalArgumentException("the range '" + p + "' ends before it begins");
        }
      } else {
        low = code(p, s);
        high = low;
      }
      ranges.add(new int[] {low, high});
      if (canonical.length() > 0) {
        canonical.append(',');
      }
      canonical.append(low == high ? Integer.toString(low) : low + "-" + high);
    }
    int[] lows = new int[ranges.size()];
    int[] highs = new int[ranges.size()];
    for (int i = 0; i < lows.length; i++) {
      lows[i] = ranges.get(i)[0];
      highs[i] = ranges.get(i)[1];
    }
    return new StatusRanges(lows, highs, canonical.toString());
  }

  private static int code(String p, String whole) {
    if (p.length() == 3 && p.chars().allMatch(c -> c >= '0' && c <= '9')) {
      int code = Integer.parseInt(p);
      if (code >= 100 && code <= 599) {
        return code;
      }
    }
    throw new IllegalArgumentException(
        "expected status codes and ranges from 100 to 599 like 200-399 or 200,204 or 2xx, got '" + whole + "'");
  }

  /** Whether every status listed lies within {@code low..high}. */
  public boolean within(int low, int high) {
    for (int i = 0; i < lows.length; i++) {
      if (lows[i] < low || highs[i] > high) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code status} is one of them. */
  public boolean contains(int status) {
    for (int i = 0; i < lows.length; i++) {
      if (status >= lows[i] && status <= highs[i]) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StatusRanges r && r.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  /** The canonical form, {@code 200-399} or {@code 200,204}. */
  @Override
  public String toString() {
    return text;
  }
}
