package io.stc.scale;

/**
 * Something the autoscaler did or saw, for the log and for subscribers such as the admin event
 * stream.
 *
 * @param timeMillis wall-clock time of the event
 * @param instance the instance it concerns
 * @param total instances counted after it (ready plus pending)
 * @param reason why: the policy's reason for a scaling decision, the cause of a failure
 */
public record ScaleEvent(long timeMillis, Kind kind, String instance, int total, String reason) {
  /** What happened. */
  public enum Kind {
    /** An instance is being added (the policy asked, or it replaces one that crashed). */
    SCALED_UP,
    /** An instance is being taken out: draining, then stopped. */
    SCALED_DOWN,
    /** A new instance passed its first health check and is in rotation. */
    READY,
    /** An instance was stopped and has left the pool. */
    STOPPED,
    /** An instance ended without being asked to, or was removed from the pool by someone else. */
    CRASHED,
    /** An instance could not be started, or did not become ready in time. */
    FAILED
  }

  /** The log line for this event, such as {@code Scaled UP: added auto-3 (total 3): in-flight ...}. */
  public String message() {
    return switch (kind) {
      case SCALED_UP -> "Scaled UP: added " + instance + " (total " + total + "): " + reason;
      case SCALED_DOWN -> "Scaled DOWN: removing " + instance + " (total " + total + "): " + reason;
      case READY -> instance + " ready (total " + total + "): " + reason;
      case STOPPED -> instance + " stopped (total " + total + "): " + reason;
      case CRASHED -> instance + " crashed (total " + total + "): " + reason;
      case FAILED -> instance + " failed (total " + total + "): " + reason;
    };
  }
}
