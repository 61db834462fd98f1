package io.stc.balance;

import io.stc.pool.Backend;
import java.util.Arrays;
import java.util.Comparator;

/**
 * The order in which smooth weighted round robin (nginx's) visits a set of weighted backends over
 * one full cycle, computed once so that a pick is an array read.
 *
 * <p>nginx adds each weight to a running score, takes the highest score (the lowest index on a
 * tie) and subtracts the total from it. Backends of equal weight then take their turns in index
 * order, so this simulates one group per distinct weight: O(cycle × distinct weights) rather than
 * O(cycle × backends), with exactly nginx's output.
 */
final class WeightedSequence {
  /** Longest cycle built; larger weight totals are scaled down to fit, keeping each weight at least 1. */
  static final int MAX_LENGTH = 1 << 14;

  private WeightedSequence() {}

  /** One cycle for {@code backends} with positive {@code weights} (same order). */
  static Backend[] build(Backend[] backends, long[] weights) {
    int n = backends.length;
    if (n == 0) {
      return backends;
    }
    long[] w = reduce(weights);
    long total = sum(w);
    if (total > MAX_LENGTH) {
      for (int i = 0; i < n; i++) {
        w[i] = Math.max(1, w[i] * MAX_LENGTH / total);
      }
      w = reduce(w);
      total = sum(w);
    }

    Integer[] byWeight = new Integer[n];
    for (int i = 0; i < n; i++) {
      byWeight[i] = i;
    }
    final long[] fw = w;
    Arrays.sort(byWeight, Comparator.<Integer>comparingLong(i -> fw[i]).thenComparingInt(i -> i));
    int groups = 0;
    int[] groupStart = new int[n + 1];
    for (int k = 0; k < n; k++) {
      if (k == 0 || fw[byWeight[k]] != fw[byWeight[k - 1]]) {
        groupStart[groups++] = k;
      }
    }
    groupStart[groups] = n;
    long[] groupWeight = new long[groups];
    int[] groupSize = new int[groups];
    long[] picked = new long[groups];
    for (int g = 0; g < groups; g++) {
      groupWeight[g] = fw[byWeight[groupStart[g]]];
      groupSize[g] = groupStart[g + 1] - groupStart[g];
    }

    Backend[] order = new Backend[(int) total];
    for (int step = 1; step <= total; step++) {
      int best = -1;
      long bestScore = 0;
      int bestIndex = 0;
      for (int g = 0; g < groups; g++) {
        // The group's members not yet picked this round are the ones with the fewest picks, so the
        // highest score in the group; among them the next in index order comes first.
        long score = step * groupWeight[g] - total * (picked[g] / groupSize[g]);
        int index = byWeight[groupStart[g] + (int) (picked[g] % groupSize[g])];
        if (best < 0 || score > bestScore || (score == bestScore && index < bestIndex)) {
          best = g;
          bestScore = score;
          bestIndex = index;
        }
      }
      picked[best]++;
      order[step - 1] = backends[bestIndex];
    }
    return order;
  }

  private static long[] reduce(long[] weights) {
    long g = 0;
    for (long x : weights) {
      if (x <= 0) {
        throw new IllegalArgumentException("weights must be positive");
      }
      g = gcd(g, x);
    }
    long[] out = new long[weights.length];
    for (int i = 0; i < weights.length; i++) {
      out[i] = weights[i] / g;
    }
    return out;
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  private static long sum(long[] w) {
    long s = 0;
    for (long x : w) {
      s += x;
    }
    return s;
  }
}
