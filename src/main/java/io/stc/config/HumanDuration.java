package io.stc.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in config files and flags: 250ms, 2s, 1.5s, 1m, 1h, or a plain number of seconds. */
public final class HumanDuration {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,18}(?:\\.\\d{1,9})?)\\s*(ms|s|m|h)?");

  private HumanDuration() {}

  /** Parses {@code text}; throws IllegalArgumentException with a message fit for the user. */
  public static Duration parse(String text) {
    Matcher m = FORMAT.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a duration like 2s or 500ms, got '" + text + "'");
    }
    long unitNanos =
        switch (m.group(2) == null ? "s" : m.group(2)) {
          case "ms" -> 1_000_000L;
          case "s" -> 1_000_000_000L;
          case "m" -> 60_000_000_000L;
          default -> 3_600_000_000_000L;
        };
    BigDecimal nanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos));
    try {
      return Duration.ofNanos(nanos.setScale(0, RoundingMode.DOWN).longValueExact());
    } catch (ArithmeticException e) {
      // Duration.ofNanos holds about 292 years; anything longer is a typo, not a setting.
      throw new IllegalArgumentException("duration too long: '" + text + "'");
    }
  }
}
