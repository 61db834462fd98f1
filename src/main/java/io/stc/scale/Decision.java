package io.stc.scale;

import java.util.Locale;

/** A policy's answer: how many instances there should be, and why, in words for the log. */
public record Decision(int desired, String reason) {
  public Decision {
    if (desired < 0) {
      desired = 0;
    }
  }

  /** A number for a reason text: {@code 3}, {@code 2.5}, {@code 0.33}. */
  static String num(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e9) {
      return Long.toString((long) v);
    }
    String s = String.format(Locale.ROOT, "%.2f", v);
    return s.endsWith("0") ? s.substring(0, s.length() - 1) : s;
  }

  /** The smallest integer at or above {@code v}, forgiving floating-point noise (7.0000000001 is 7). */
  static int ceil(double v) {
    if (Double.isInfinite(v) || v > Integer.MAX_VALUE) {
      return Integer.MAX_VALUE;
    }
    return (int) Math.ceil(v - 1e-9);
  }

  /** {@code nanos} as seconds for a reason text. */
  static String seconds(long nanos) {
    return num(nanos / 1e9) + "s";
  }
}
