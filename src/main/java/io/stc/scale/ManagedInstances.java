package io.stc.scale;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** The instances the autoscaler manages, by slot, oldest first. Touched only on the autoscaler's thread. */
final class ManagedInstances {
  private final Map<String, ManagedInstance> bySlot = new LinkedHashMap<>();

  void add(ManagedInstance m) {
    bySlot.put(m.slot, m);
  }

  void remove(ManagedInstance m) {
    bySlot.remove(m.slot);
  }

  /** Whether {@code m} is still managed; it is not once forgotten (see {@link Autoscaler#setLeading}). */
  boolean holds(ManagedInstance m) {
    return bySlot.get(m.slot) == m;
  }

  /** All of them, as they are: for a loop that adds and removes none. */
  Collection<ManagedInstance> all() {
    return Collections.unmodifiableCollection(bySlot.values());
  }

  /** A copy, for a loop that may add or remove some. */
  List<ManagedInstance> snapshot() {
    return List.copyOf(bySlot.values());
  }

  int count(Predicate<ManagedInstance> p) {
    int n = 0;
    for (ManagedInstance m : bySlot.values()) {
      if (p.test(m)) {
        n++;
      }
    }
    return n;
  }

  /** The instances counted as capacity: ready plus pending. */
  int current() {
    return count(m -> m.pending() || m.ready());
  }

  /** The one whose instance has this name, or null. */
  ManagedInstance named(String name) {
    for (ManagedInstance m : bySlot.values()) {
      if (m.instance != null && m.instance.name().equals(name)) {
        return m;
      }
    }
    return null;
  }

  /** The one running {@code instance}, or null; the newest should two claim it. */
  ManagedInstance running(Instance instance) {
    ManagedInstance found = null;
    for (ManagedInstance m : bySlot.values()) {
      if (instance.equals(m.instance)) {
        found = m;
      }
    }
    return found;
  }
}
