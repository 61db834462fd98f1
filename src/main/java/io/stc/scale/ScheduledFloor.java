package io.stc.scale;

import io.stc.config.AutoscaleConfig.ScheduleWindow;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The fewest instances at the moment: {@code min}, raised while a window of {@code
 * autoscale.schedule} is open (from a firing of its {@code start} until the next of its {@code
 * end}) to that window's {@code min}, as KEDA's cron scaler does for known peaks. Looked up once a
 * minute of the wall clock, which the simulator's virtual time can be.
 */
final class ScheduledFloor {
  private static final long MINUTE_MILLIS = 60_000;

  private final int min;
  private final int max;
  private final List<ScheduleWindow> windows;
  private final LongSupplier wallMillis;
  private long minute = Long.MIN_VALUE;
  private int floor;
  private ScheduleWindow open;

  ScheduledFloor(int min, int max, List<ScheduleWindow> windows, LongSupplier wallMillis) {
    this.min = min;
    this.max = max;
    this.windows = List.copyOf(windows);
    this.wallMillis = wallMillis;
    this.floor = min;
  }

  /** The floor now: {@code min}, or the highest {@code min} of the windows open (never above {@code max}). */
  synchronized int now() {
    if (windows.isEmpty()) {
      return min;
    }
    long millis = wallMillis.getAsLong();
    long m = Math.floorDiv(millis, MINUTE_MILLIS);
    if (m != minute) {
      minute = m;
      ZonedDateTime t = Instant.ofEpochMilli(millis).atZone(ZoneOffset.UTC);
      floor = min;
      open = null;
      for (ScheduleWindow w : windows) {
        if (isOpen(w, t) && w.min() > floor) {
          floor = Math.min(max, w.min());
          open = w;
        }
      }
    }
    return floor;
  }

  /** Why the floor is what it is, for a decision's reason: null when it is the configured min. */
  synchronized String why() {
    now();
    return open == null ? null : "schedule " + open;
  }

  /** Open: its start fired, and its end has not fired since (an end in the same minute closes it). */
  static boolean isOpen(ScheduleWindow w, ZonedDateTime t) {
    ZonedDateTime started = w.start().lastAtOrBefore(t, w.timezone());
    if (started == null) {
      return false;
    }
    ZonedDateTime ended = w.end().lastAtOrBefore(t, w.timezone());
    return ended == null || started.isAfter(ended);
  }
}
