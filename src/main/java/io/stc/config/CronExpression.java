package io.stc.config;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;
import java.util.Map;

/**
 * A cron schedule as crontab(5) writes it, five fields (minute, hour, day of month, month, day of
 * week) with {@code *}, lists, ranges, steps and English names ({@code jan}, {@code mon}; 0 and 7
 * are Sunday), or one of {@code @hourly}, {@code @daily}, {@code @midnight}, {@code @weekly},
 * {@code @monthly}, {@code @yearly}, {@code @annually}. As in cron, when both day fields are
 * restricted a day matches either.
 */
public final class CronExpression {
  private static final Map<String, String> MACROS = Map.of(
      "@hourly", "0 * * * *", "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@weekly", "0 0 * * 0",
      "@monthly", "0 0 1 * *", "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *");
  private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  private static final String[] DAYS = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  /** How far back {@link #lastAtOrBefore} looks: a year and a day holds every firing of any expression but a 29 February one. */
  private static final int LOOK_BACK_DAYS = 366 * 4 + 1;

  private final String text;
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet days;
  private final BitSet months;
  private final BitSet weekdays;
  private final boolean anyDay;
  private final boolean anyWeekday;

  private CronExpression(String text, BitSet minutes, BitSet hours, BitSet days, BitSet months, BitSet weekdays,
      boolean anyDay, boolean anyWeekday) {
    this.text = text;
    this.minutes = minutes;
    this.hours = hours;
    this.days = days;
    this.months = months;
    this.weekdays = weekdays;
    this.anyDay = anyDay;
    this.anyWeekday = anyWeekday;
  }

  /** Parses {@code text}; IllegalArgumentException saying which field is wrong and how. */
  public static CronExpression parse(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    String expanded = t.startsWith("@") ? MACROS.get(t) : t;
    if (expanded == null) {
      throw new IllegalArgumentException("unknown '" + text.strip() + "' (known: " + String.join(", ", MACROS.keySet().stream().sorted().toList()) + ")");
    }
    String[] f = expanded.split("\\s+");
    if (f.length != 5) {
      throw new IllegalArgumentException("expected five fields (minute hour day-of-month month day-of-week), got " + f.length
          + " in '" + text.strip() + "'");
    }
    BitSet weekdays = field(f[4], "day of week", 0, 7, DAYS);
    if (weekdays.get(7)) {
      weekdays.set(0);
      weekdays.clear(7);
    }
    return new CronExpression(text.strip(), field(f[0], "minute", 0, 59, null), field(f[1], "hour", 0, 23, null),
        field(f[2], "day of month", 1, 31, null), field(f[3], "month", 1, 12, MONTHS), weekdays,
        f[2].startsWith("*"), f[4].startsWith("*"));
  }

  private static BitSet field(String spec, String what, int lo, int hi, String[] names) {
    BitSet set = new BitSet(hi + 1);
    for (String part : spec.split(",", -1)) {
      String range = part;
      int step = 1;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        range = part.substring(0, slash);
        step = number(part.substring(slash + 1), what, 1, hi - lo + 1, null, spec);
      }
      int from;
      int to;
      if (range.equals("*")) {
        from = lo;
        to = hi;
      } else {
        int dash = range.indexOf('-');
        from = number(dash < 0 ? range : range.substring(0, dash), what, lo, hi, names, spec);
        to = dash < 0 ? (slash >= 0 ? hi : from) : number(range.substring(dash + 1), what, lo, hi, names, spec);
        if (to < from) {
          throw new IllegalArgumentException(what + ": the range '" + range + "' ends before it begins");
        }
      }
      for (int v = from; v <= to; v += step) {
        set.set(v);
      }
    }
    return set;
  }

  private static int number(String s, String what, int lo, int hi, String[] names, String spec) {
    if (names != null) {
      for (int i = 0; i < names.length; i++) {
        if (names[i].equals(s)) {
          return names == MONTHS ? i + 1 : i;
        }
      }
    }
    try {
      int v = Integer.parseInt(s);
      if (v >= lo && v <= hi) {
        return v;
      }
    } catch (NumberFormatException e) {
      // Falls through to the one message below.
    }
    throw new IllegalArgumentException(what + ": expected " + lo + "-" + hi + (names != null ? " or a name" : "") + ", got '"
        + s + "' in '" + spec + "'");
  }

  /** Whether the schedule fires on {@code date} (its month and either of its day fields). */
  private boolean firesOn(LocalDate date) {
    if (!months.get(date.getMonthValue())) {
      return false;
    }
    boolean day = days.get(date.getDayOfMonth());
    boolean weekday = weekdays.get(date.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : date.getDayOfWeek().getValue());
    if (anyDay || anyWeekday) {
      // One of them is *: the other decides (both *: every day).
      return day && weekday;
    }
    return day || weekday;
  }

  /**
   * The last time at or before {@code t} that the schedule fired, in {@code zone}'s wall-clock
   * time (a minute that a move to summer time skips does not fire); null when it did not fire in
   * the four years before.
   */
  public ZonedDateTime lastAtOrBefore(ZonedDateTime t, ZoneId zone) {
    LocalDateTime now = t.withZoneSameInstant(zone).toLocalDateTime().truncatedTo(ChronoUnit.MINUTES);
    LocalDate date = now.toLocalDate();
    for (int back = 0; back < LOOK_BACK_DAYS; back++, date = date.minusDays(1)) {
      if (!firesOn(date)) {
        continue;
      }
      int hour = back == 0 ? now.getHour() : 23;
      for (int h = hours.previousSetBit(hour); h >= 0; h = hours.previousSetBit(h - 1)) {
        int minute = back == 0 && h == now.getHour() ? now.getMinute() : 59;
        for (int m = minutes.previousSetBit(minute); m >= 0; m = minutes.previousSetBit(m - 1)) {
          LocalDateTime at = date.atTime(h, m);
          // A local time in a gap (summer time) does not exist there: that firing is skipped.
          if (!zone.getRules().getValidOffsets(at).isEmpty()) {
            ZonedDateTime fired = at.atZone(zone);
            if (!fired.toInstant().isAfter(t.toInstant())) {
              return fired;
            }
          }
        }
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return text;
  }
}
