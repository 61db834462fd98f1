package io.stc.balance;

import java.util.Arrays;
import java.util.List;

/**
 * Maglev lookup tables (Eisenbud et al., NSDI 2016): every slot of a prime-sized table names one
 * member, members own near-equal shares, and adding or removing one member reassigns few slots
 * other than its own.
 */
final class MaglevTable {
  /** Table size: a prime, about 65 slots per member at 1,000 members. */
  static final int SIZE = 65_537;

  private static final long OFFSET_SEED = 0x9E3779B97F4A7C15L;
  private static final long SKIP_SEED = 0xC2B2AE3D27D4EB4FL;
  private static final long KEY_SEED = 0x165667B19E3779F9L;

  private MaglevTable() {}

  /** For each slot, the index in {@code ids} of the member that owns it; {@code ids} must not be empty. */
  static int[] build(List<String> ids, int size) {
    int n = ids.size();
    long[] position = new long[n];
    long[] skip = new long[n];
    for (int i = 0; i < n; i++) {
      String id = ids.get(i);
      position[i] = Long.remainderUnsigned(hash(id, OFFSET_SEED), size);
      skip[i] = Long.remainderUnsigned(hash(id, SKIP_SEED), size - 1) + 1;
    }
    int[] table = new int[size];
    Arrays.fill(table, -1);
    int filled = 0;
    // Members take turns claiming the next free slot along their own permutation of the table.
    while (true) {
      for (int i = 0; i < n; i++) {
        long c = position[i];
        while (table[(int) c] >= 0) {
          c += skip[i];
          if (c >= size) {
            c -= size;
          }
        }
        table[(int) c] = i;
        c += skip[i];
        position[i] = c >= size ? c - size : c;
        if (++filled == size) {
          return table;
        }
      }
    }
  }

  /** The slot of a request key. */
  static int slotOf(String key, int size) {
    return (int) Long.remainderUnsigned(hash(key, KEY_SEED), size);
  }

  /** A 64-bit hash of a string's characters, well mixed (FNV-style steps, murmur3's finaliser); allocation-free. */
  static long hash(String s, long seed) {
    long h = seed;
    for (int i = 0; i < s.length(); i++) {
      h = (h ^ s.charAt(i)) * 0x100000001B3L;
    }
    h ^= s.length();
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    h ^= h >>> 33;
    return h;
  }
}
