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

  /** Tells which backends are ejected by passive health (open circuit breakers). */
  @FunctionalInterface
  public interface Ejection {
    Ejection NONE = b -> false;

    boolean isEjected(Backend backend);
  }

  private final List<Backend> all;
  private final Map<String, Backend> byId;
  private final Backend[] available;
  private final long version;
  private final boolean panicking;

  public Pool(List<Backend> backends, long version) {
    this(backends, version, Ejection.NONE, 100);
  }

  /**
   * A snapshot in which ejected backends are not available, unless more than
   * {@code maxEjectionPercent} of the healthy ones would be ejected: then none is (panic mode, as
   * in Envoy), since a mostly-failing pool is better used whole than emptied.
   */
  public Pool(List<Backend> backends, long version, Ejection ejection, int maxEjectionPercent) {
    this.all = Collections.unmodifiableList(new ArrayList<>(backends));
    this.byId = new HashMap<>(backends.size() * 2);
    for (Backend b : backends) {
      byId.put(b.id(), b);
    }
    List<Backend> up = new ArrayList<>(backends.size());
    List<Backend> kept = new ArrayList<>(backends.size());
    for (Backend b : backends) {
      if (b.isAvailable() && b.weight() > 0) {
        up.add(b);
        if (!ejection.isEjected(b)) {
          kept.add(b);
        }
      }
    }
    int ejected = up.size() - kept.size();
    this.panicking = ejected > 0 && (long) ejected * 100 > (long) maxEjectionPercent * up.size();
    List<Backend> chosen = panicking ? up : kept;
    this.available = chosen.isEmpty() ? NONE : chosen.toArray(NONE);
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

  /** Whether ejections are being ignored because too much of the pool would be ejected. */
  public boolean panicking() {
    return panicking;
  }

  public long version() {
    return version;
  }

  /** The backend with this id, or null; constant time, for the hot path (sticky sessions). */
  public Backend find(String id) {
    return byId.get(id);
  }
}
