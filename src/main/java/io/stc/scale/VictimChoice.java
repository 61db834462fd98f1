package io.stc.scale;

import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/** Which instance a scale-down stops: the one that is cheapest to lose. */
final class VictimChoice {
  private VictimChoice() {}

  /**
   * The newest instance matched by the first of {@code preferences} that matches any, else the
   * least busy ready one (the newest of equals), else null.
   *
   * @param oldestFirst the instances in the order they were started
   */
  static <T> T pick(
      List<T> oldestFirst, List<Predicate<T>> preferences, Predicate<T> ready, ToIntFunction<T> busy) {
    for (Predicate<T> p : preferences) {
      for (int i = oldestFirst.size() - 1; i >= 0; i--) {
        T m = oldestFirst.get(i);
        if (p.test(m)) {
          return m;
        }
      }
    }
    T best = null;
    int least = Integer.MAX_VALUE;
    for (int i = oldestFirst.size() - 1; i >= 0; i--) {
      T m = oldestFirst.get(i);
      if (ready.test(m)) {
        int b = busy.applyAsInt(m);
        if (best == null || b < least) {
          best = m;
          least = b;
        }
      }
    }
    return best;
  }
}
