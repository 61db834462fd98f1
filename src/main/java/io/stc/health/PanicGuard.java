package io.stc.health;

/**
 * The panic guard of passive ejection: backends may be taken out (breakers opened) only while the
 * ejected share of the pool stays within {@code maxEjectionPercent}, so failures that hit the whole
 * pool do not empty it.
 */
public final class PanicGuard {
  private PanicGuard() {}

  /** Whether one more of {@code poolSize} backends may be ejected when {@code ejected} already are. */
  public static boolean mayEject(int poolSize, int ejected, int maxEjectionPercent) {
    check(poolSize, ejected, maxEjectionPercent);
    return (long) (ejected + 1) * 100 <= (long) maxEjectionPercent * poolSize;
  }

  /**
   * Whether the pool is past the limit already (it shrank, or the limit was lowered): then ejections
   * should be ignored and every backend used.
   */
  public static boolean panicking(int poolSize, int ejected, int maxEjectionPercent) {
    check(poolSize, ejected, maxEjectionPercent);
    return (long) ejected * 100 > (long) maxEjectionPercent * poolSize;
  }

  private static void check(int poolSize, int ejected, int maxEjectionPercent) {
    if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
      throw new IllegalArgumentException("max_ejection_percent must be 0..100, got " + maxEjectionPercent);
    }
    if (poolSize < 0 || ejected < 0) {
      throw new IllegalArgumentException("pool size and ejected count must not be negative");
    }
  }
}
