package io.stc.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code --capacity MIN-MAX} flag of {@code stc simulate} and {@code stc backend}: a range, or one number. */
final class CapacityRange {
  private static final Pattern RANGE = Pattern.compile("\\s*(\\d{1,6})\\s*(?:-\\s*(\\d{1,6})\\s*)?");

  private CapacityRange() {}

  /** {@code {min, max}}; IllegalArgumentException naming {@code flag} on bad input or a range that runs backwards. */
  static int[] parse(String flag, String text) {
    Matcher m = RANGE.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(flag + ": expected MIN-MAX such as 2-5, or one number, got '" + text + "'");
    }
    int low = Integer.parseInt(m.group(1));
    int high = m.group(2) == null ? low : Integer.parseInt(m.group(2));
    if (low < 1 || high < low) {
      throw new IllegalArgumentException(flag + " needs 1 <= MIN <= MAX, got " + low + "-" + high);
    }
    return new int[] {low, high};
  }
}
