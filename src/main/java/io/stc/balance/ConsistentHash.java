package io.stc.balance;

import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consistent hashing on a request key (client IP, a header or a cookie) through a Maglev table:
 * the same key reaches the same backend while it is available, and requests without the key go
 * round robin.
 *
 * <p>The main table covers every backend in the pool, whatever its state, so a backend going DOWN
 * moves only its own keys: they go to a second table over the available backends (the next in
 * line), and everyone else's keys stay. Weights do not skew the table; weight 0 takes a backend
 * out like DOWN does. Both tables are built once per pool snapshot.
 */
final class ConsistentHash implements Balancer {
  private final HashKey key;
  private final int size;
  private final AtomicLong next = new AtomicLong();
  private volatile Routing routing = new Routing(null, List.of(), null, null);

  // members: pool.all() the main table was built for, so a state-only change reuses it.
  private record Routing(Pool pool, List<Backend> members, int[] main, Backend[] slots) {}

  ConsistentHash(HashKey key) {
    this(key, MaglevTable.SIZE);
  }

  /** With a table of {@code size} slots (a prime); a small one keeps tests cheap. */
  ConsistentHash(HashKey key, int size) {
    this.key = key;
    this.size = size;
  }

  @Override
  public Backend pick(Request request, Pool pool) {
    Backend[] up = pool.available();
    if (up.length == 0) {
      return null;
    }
    String k = key.of(request);
    if (k == null || k.isEmpty()) {
      return up[(int) Long.remainderUnsigned(next.getAndIncrement(), up.length)];
    }
    Routing r = routing;
    if (r.pool != pool) {
      r = routingFor(pool, r);
      routing = r;
    }
    return r.slots[MaglevTable.slotOf(k, size)];
  }

  private Routing routingFor(Pool pool, Routing previous) {
    List<Backend> members = pool.all();
    int[] main = sameMembers(previous.members, members) ? previous.main : MaglevTable.build(ids(members), size);
    IdentityHashMap<Backend, Boolean> available = new IdentityHashMap<>();
    for (Backend b : pool.available()) {
      available.put(b, Boolean.TRUE);
    }
    int[] fallback = null;
    Backend[] slots = new Backend[size];
    for (int s = 0; s < size; s++) {
      Backend owner = members.get(main[s]);
      if (available.containsKey(owner)) {
        slots[s] = owner;
      } else {
        if (fallback == null) {
          fallback = MaglevTable.build(ids(List.of(pool.available())), size);
        }
        slots[s] = pool.available()[fallback[s]];
      }
    }
    return new Routing(pool, members, main, slots);
  }

  private static boolean sameMembers(List<Backend> a, List<Backend> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  private static List<String> ids(List<Backend> backends) {
    List<String> ids = new ArrayList<>(backends.size());
    for (Backend b : backends) {
      ids.add(b.id());
    }
    return ids;
  }
}
