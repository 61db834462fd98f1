package io.stc.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte counts as people write them: 8KiB, 8k, 1MiB, 1m, 1GiB (all binary multiples) or a plain number of bytes. */
public final class ByteSize {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,18})\\s*(b|k|kib|m|mib|g|gib)?");

  private ByteSize() {}

  /** Parses {@code text} into bytes; throws IllegalArgumentException with a message fit for the user. */
  public static long parse(String text) {
    Matcher m = FORMAT.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a size like 8KiB, 8k or 1MiB, got '" + text + "'");
    }
    int shift =
        switch (m.group(2) == null ? "b" : m.group(2)) {
          case "k", "kib" -> 10;
          case "m", "mib" -> 20;
          case "g", "gib" -> 30;
          default -> 0;
        };
    long value = Long.parseLong(m.group(1));
    if (value > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException("size too large: '" + text + "'");
    }
    return value << shift;
  }

  /** {@code bytes} the way a person would write it: the largest binary unit that divides it. */
  public static String format(long bytes) {
    if (bytes != 0 && bytes % (1L << 30) == 0) {
      return (bytes >> 30) + "GiB";
    }
    if (bytes != 0 && bytes % (1L << 20) == 0) {
      return (bytes >> 20) + "MiB";
    }
    if (bytes != 0 && bytes % (1L << 10) == 0) {
      return (bytes >> 10) + "KiB";
    }
    return bytes + "B";
  }
}
