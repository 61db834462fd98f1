package io.stc.session;

import io.stc.Clock;
import io.stc.config.StcConfig.Sticky;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Builds the {@link StickySessions} a {@code sticky} config section describes. */
public final class SessionAffinity {
  private SessionAffinity() {}

  /**
   * Sticky sessions as configured, or {@link StickySessions#NONE} when they are off. Cookie mode
   * without a configured key reads (or first creates) {@code stateDir/sticky.key}.
   *
   * @param clock monotonic time, for idle expiry; cookie issue times are wall-clock times derived
   *     from it at start, so they advance with it and do not jump when the system clock is set
   */
  public static StickySessions from(Sticky sticky, Path stateDir, Clock clock) {
    return switch (sticky.mode()) {
      case OFF -> StickySessions.NONE;
      case IP -> TableSessions.byClientIp(sticky.ttl(), sticky.maxSessions(), sticky.honourDraining(), clock);
      case HEADER -> TableSessions.byHeader(
          sticky.name(), sticky.ttl(), sticky.maxSessions(), sticky.honourDraining(), clock);
      case COOKIE -> new CookieSessions(
          sticky.name(), sticky.ttl(), sticky.honourDraining(), key(sticky, stateDir), epochClock(clock));
    };
  }

  private static byte[] key(Sticky sticky, Path stateDir) {
    return sticky.key() != null
        ? sticky.key().getBytes(StandardCharsets.UTF_8)
        : StickyKeyFile.loadOrCreate(stateDir);
  }

  /** Nanoseconds since the Unix epoch, anchored to the wall clock once and then moving with {@code monotonic}. */
  static Clock epochClock(Clock monotonic) {
    long offset = System.currentTimeMillis() * 1_000_000L - monotonic.nanos();
    return () -> monotonic.nanos() + offset;
  }
}
