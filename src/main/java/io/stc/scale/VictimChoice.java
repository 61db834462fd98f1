package io.stc.scale;

import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/** Which instance a scale-down stops: the one that is cheapest to lose. */
final class VictimChoice {
  private VictimChoice() {}

  /**
   * The newest instance matched by the first of {@code preferences} that matches any, else the
   * ready one that {@code cheaper} puts first (the newest of equals), else null.
   *
   * @param oldestFirst the instances in the order they were started
   */
  static <T> T pick(List<T> oldestFirst, List<Predicate<T>> preferences, Predicate<T> ready, Comparator<T> cheaper) {
    for (Predicate<T> p : preferences) {
      for (int i = oldestFirst.size() - 1; i >= 0; i--) {
        T m = oldestFirst.get(i);
        if (p.test(m)) {
          return m;
        }
      }
    }
    T best = null;
    for (int i = oldestFirst.size() - 1; i >= 0; i--) {
      T m = oldestFirst.get(i);
      if (ready.test(m) && (best == null || cheaper.compare(m, best) < 0)) {
        best = m;
      }
    }
    return best;
  }
}
