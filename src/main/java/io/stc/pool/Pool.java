package io.stc.pool;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of the backends: all of them, and the ones that may take new requests.
 *
 * <p>The control plane publishes a new snapshot for every change; the data plane reads one and
 * never locks. Balancers may cache work per snapshot by identity.
 */
public final class Pool {
  private static final Backend[] NONE = new Backend[0];
  public static final Pool EMPTY = new Pool(List.of(), 0);

  private final List<Backend> all;
  private final Map<String, Backend> byId;
  private final Backend[] available;
  private final long version;

  public Pool(List<Backend> backends, long version) {
    this.all = Collections.unmodifiableList(new ArrayList<>(backends));
    this.byId = new HashMap<>(backends.size() * 2);
    for (Backend b : backends) {
      byId.put(b.id(), b);
    }
    List<Backend> up = new ArrayList<>(backends.size());
    for (Backend b : backends) {
      if (b.isAvailable() && b.weight() > 0) {
        up.add(b);
      }
    }
    this.available = up.isEmpty() ? NONE : up.toArray(NONE);
    this.version = version;
  }

  /** Every backend in the pool, in the order they were added. */
  public List<Backend> all() {
    return all;
  }

  /** The backends that may take new requests (UP, weight above zero). Do not modify the array. */
  public Backend[] available() {
    return available;
  }

  public int availableCount() {
    return available.length;
  }

  public long version() {
    return version;
  }

  /** The backend with this id, or null; constant time, for the hot path (sticky sessions). */
  public Backend find(String id) {
    return byId.get(id);
  }
}
