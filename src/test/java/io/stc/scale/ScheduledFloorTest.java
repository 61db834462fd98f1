package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.AutoscaleConfig.ScheduleWindow;
import io.stc.config.CronExpression;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The fewest instances by the wall clock: min, raised while a schedule's window is open. */
class ScheduledFloorTest {
  private final AtomicLong wall = new AtomicLong();

  private void at(String iso) {
    wall.set(ZonedDateTime.parse(iso).toInstant().toEpochMilli());
  }

  private static ScheduleWindow window(String start, String end, int min, ZoneId zone) {
    return new ScheduleWindow(CronExpression.parse(start), CronExpression.parse(end), min, zone);
  }

  @Test
  void weekdayHoursRaiseTheFloorAndTheHighestOpenWindowWins() {
    ScheduledFloor floor = new ScheduledFloor(2, 30, List.of(
        window("0 8 * * mon-fri", "0 18 * * mon-fri", 10, ZoneId.of("Europe/Berlin")),
        window("45 11 * * *", "15 13 * * *", 16, ZoneOffset.UTC),
        window("0 0 * * *", "0 1 * * *", 50, ZoneOffset.UTC)), wall::get);
    at("2026-12-07T06:59Z");  // Monday, 07:59 in Berlin
    assertThat(floor.now()).isEqualTo(2);
    assertThat(floor.why()).isNull();
    at("2026-12-07T07:00Z");
    assertThat(floor.now()).isEqualTo(10);
    assertThat(floor.why()).isEqualTo("schedule 0 8 * * mon-fri .. 0 18 * * mon-fri (Europe/Berlin)");
    at("2026-12-07T12:00Z");
    assertThat(floor.now()).isEqualTo(16);
    at("2026-12-07T16:59Z");
    assertThat(floor.now()).isEqualTo(10);
    at("2026-12-07T17:00Z");
    assertThat(floor.now()).isEqualTo(2);
    // Saturday: only the lunch window. A window's min is capped at max.
    at("2026-12-05T12:00Z");
    assertThat(floor.now()).isEqualTo(16);
    at("2026-12-05T00:30Z");
    assertThat(floor.now()).isEqualTo(30);
  }

  @Test
  void anEndInTheSameMinuteAsTheStartClosesTheWindow() {
    ScheduledFloor floor = new ScheduledFloor(1, 10, List.of(window("0 9 * * *", "0 9 * * *", 5, ZoneOffset.UTC)), wall::get);
    at("2026-12-07T09:00:30Z");
    assertThat(floor.now()).isEqualTo(1);
  }
}
