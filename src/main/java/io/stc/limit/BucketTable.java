package io.stc.limit;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token buckets by client key in a bounded table split into independently locked stripes.
 *
 * <p>A bucket is one number, the time at which it will be full again ({@code fullAt}); its tokens
 * at time {@code now} are {@code burst - (fullAt - now) / interval}. A bucket that is full again
 * behaves exactly like a fresh one, so it can be dropped and the table forgets nothing by doing so.
 * Each stripe keeps its buckets in least-recently-used order: when a new key arrives it drops the
 * full buckets among the few idlest, and only when none was full and the stripe is at capacity does
 * it evict the idlest bucket, whose client then starts again with a full burst.
 */
final class BucketTable {
  private static final int MAX_STRIPES = 64;
  // Enough entries per stripe that the least-recently-used order means something.
  private static final int MIN_PER_STRIPE = 16;
  // How many of the idlest buckets a new key looks at for full ones to drop: bounded work per insert.
  private static final int SAMPLE = 8;

  private final Stripe[] stripes;
  private final int mask;
  private final long interval;
  private final long tolerance;

  /** A table of at most {@code maxClients} buckets refilling {@code rps} tokens a second up to {@code burst}. */
  BucketTable(double rps, int burst, int maxClients) {
    this(rps, burst, maxClients, Math.min(MAX_STRIPES, Integer.highestOneBit(Math.max(1, maxClients / MIN_PER_STRIPE))));
  }

  /** With an explicit number of stripes (a power of two no larger than {@code maxClients}): for tests. */
  BucketTable(double rps, int burst, int maxClients, int stripeCount) {
    if (Integer.bitCount(stripeCount) != 1 || stripeCount > maxClients) {
      throw new IllegalArgumentException("stripes must be a power of two <= maxClients, got " + stripeCount);
    }
    this.interval = Math.max(1, Math.round(1e9 / rps));
    this.tolerance = (burst - 1) * interval;
    this.stripes = new Stripe[stripeCount];
    for (int i = 0; i < stripeCount; i++) {
      stripes[i] = new Stripe(maxClients / stripeCount);
    }
    this.mask = stripeCount - 1;
  }

  /**
   * Takes one token from {@code key}'s bucket at time {@code now} (nanoseconds).
   *
   * @return 0 when a token was taken, otherwise the nanoseconds until one will be there (a refused
   *     request takes nothing)
   */
  long take(String key, long now) {
    Stripe s = stripes[stripeOf(key)];
    synchronized (s) {
      Bucket b = s.get(key);
      long base = b == null ? now : Math.max(b.fullAt, now);
      long missing = base - now;
      if (missing > tolerance) {
        return missing - tolerance;
      }
      if (b == null) {
        b = s.insert(key, now);
      }
      b.fullAt = base + interval;
      return 0;
    }
  }

  /** How many buckets the table holds now. */
  int size() {
    int n = 0;
    for (Stripe s : stripes) {
      synchronized (s) {
        n += s.size();
      }
    }
    return n;
  }

  /** The most buckets the table will ever hold. */
  int capacity() {
    return stripes.length * stripes[0].capacity;
  }

  private int stripeOf(String key) {
    int h = key.hashCode();
    return (h ^ (h >>> 16)) & mask;
  }

  /** One bucket: when it will be full again, in nanoseconds. */
  private static final class Bucket {
    long fullAt;
  }

  /** A least-recently-used map of buckets; guarded by its own monitor. */
  private static final class Stripe extends LinkedHashMap<String, Bucket> {
    private static final long serialVersionUID = 1L;
    final int capacity;

    Stripe(int capacity) {
      super(16, 0.75f, true);
      this.capacity = capacity;
    }

    Bucket insert(String key, long now) {
      Iterator<Map.Entry<String, Bucket>> idlest = entrySet().iterator();
      for (int i = 0; i < SAMPLE && idlest.hasNext(); i++) {
        if (idlest.next().getValue().fullAt <= now) {
          idlest.remove();
        }
      }
      if (size() >= capacity) {
        Iterator<Map.Entry<String, Bucket>> it = entrySet().iterator();
        it.next();
        it.remove();
      }
      Bucket b = new Bucket();
      put(key, b);
      return b;
    }
  }
}
