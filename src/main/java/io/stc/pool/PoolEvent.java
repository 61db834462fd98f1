package io.stc.pool;

/** Something that happened to a backend in the pool, told to listeners after the new snapshot is published. */
public record PoolEvent(Kind kind, Backend backend, BackendState previousState, String reason) {
  /** What changed. */
  public enum Kind {
    ADDED,
    REMOVED,
    STATE_CHANGED,
    WEIGHT_CHANGED,
    /** It became a backup backend, or stopped being one. */
    BACKUP_CHANGED,
    /** Its own limit of requests in flight changed. */
    LIMIT_CHANGED
  }
}
