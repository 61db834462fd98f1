package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

/** Cron expressions as crontab(5) reads them, and the last firing at or before a moment. */
class CronExpressionTest {
  private static final ZoneId UTC = ZoneOffset.UTC;

  private static ZonedDateTime at(String iso) {
    return ZonedDateTime.parse(iso);
  }

  private static String last(String cron, String iso, ZoneId zone) {
    ZonedDateTime t = CronExpression.parse(cron).lastAtOrBefore(at(iso), zone);
    return t == null ? null : t.toString();
  }

  @Test
  void weekdayMorningsFireOnWeekdaysOnly() {
    // 2026-12-07 is a Monday; 2026-12-06 a Sunday.
    assertThat(last("0 8 * * 1-5", "2026-12-07T08:00Z", UTC)).isEqualTo("2026-12-07T08:00Z");
    assertThat(last("0 8 * * 1-5", "2026-12-07T07:59:59Z", UTC)).isEqualTo("2026-12-04T08:00Z");
    assertThat(last("0 8 * * mon-fri", "2026-12-06T12:00Z", UTC)).isEqualTo("2026-12-04T08:00Z");
    assertThat(last("30 */6 * * *", "2026-12-07T13:10Z", UTC)).isEqualTo("2026-12-07T12:30Z");
    assertThat(last("15,45 9-17/4 * * *", "2026-12-07T13:50Z", UTC)).isEqualTo("2026-12-07T13:45Z");
  }

  @Test
  void namesSundayAsSevenAndTheMacros() {
    assertThat(last("0 0 * * 7", "2026-12-07T10:00Z", UTC)).isEqualTo("2026-12-06T00:00Z");
    assertThat(last("0 0 * * SUN", "2026-12-07T10:00Z", UTC)).isEqualTo("2026-12-06T00:00Z");
    assertThat(last("0 0 1 jan *", "2026-12-07T10:00Z", UTC)).isEqualTo("2026-01-01T00:00Z");
    assertThat(last("@weekly", "2026-12-07T10:00Z", UTC)).isEqualTo("2026-12-06T00:00Z");
    assertThat(last("@yearly", "2026-12-07T10:00Z", UTC)).isEqualTo("2026-01-01T00:00Z");
    assertThat(last("@hourly", "2026-12-07T10:59Z", UTC)).isEqualTo("2026-12-07T10:00Z");
  }

  @Test
  void bothDayFieldsRestrictedMatchEitherAsCronDoes() {
    // The 1st of the month, or any Friday: 2026-12-04 is a Friday, 2026-12-01 a Tuesday.
    assertThat(last("0 0 1 * fri", "2026-12-05T00:00Z", UTC)).isEqualTo("2026-12-04T00:00Z");
    assertThat(last("0 0 1 * fri", "2026-12-03T00:00Z", UTC)).isEqualTo("2026-12-01T00:00Z");
    // A 29 February is found four years back.
    assertThat(last("0 0 29 2 *", "2027-03-01T00:00Z", UTC)).isEqualTo("2024-02-29T00:00Z");
    assertThat(last("0 0 31 2 *", "2027-03-01T00:00Z", UTC)).isNull();
  }

  @Test
  void aZoneMovesTheFiringAndASummerTimeGapSkipsIt() {
    ZoneId berlin = ZoneId.of("Europe/Berlin");
    assertThat(last("0 8 * * *", "2026-12-07T07:30Z", berlin)).isEqualTo("2026-12-07T08:00+01:00[Europe/Berlin]");
    // 2026-03-29 02:30 does not exist in Berlin: that day does not fire, the day before did.
    assertThat(last("30 2 * * *", "2026-03-29T12:00Z", berlin)).isEqualTo("2026-03-28T02:30+01:00[Europe/Berlin]");
  }

  @Test
  void badExpressionsSayWhichFieldAndWhy() {
    assertThatThrownBy(() -> CronExpression.parse("0 8 * *")).hasMessage(
        "expected five fields (minute hour day-of-month month day-of-week), got 4 in '0 8 * *'");
    assertThatThrownBy(() -> CronExpression.parse("60 8 * * *")).hasMessage("minute: expected 0-59, got '60' in '60'");
    assertThatThrownBy(() -> CronExpression.parse("0 8 * foo *")).hasMessage("month: expected 1-12 or a name, got 'foo' in 'foo'");
    assertThatThrownBy(() -> CronExpression.parse("0 18-8 * * *")).hasMessage("hour: the range '18-8' ends before it begins");
    assertThatThrownBy(() -> CronExpression.parse("*/0 * * * *")).hasMessage("minute: expected 1-60, got '0' in '*/0'");
    assertThatThrownBy(() -> CronExpression.parse("@often")).hasMessageStartingWith("unknown '@often' (known: @annually, @daily");
    assertThatThrownBy(() -> CronExpression.parse("0 8 * * 1,,2")).hasMessage("day of week: expected 0-7 or a name, got '' in '1,,2'");
  }
}
