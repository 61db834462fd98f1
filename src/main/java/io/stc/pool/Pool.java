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
  /** The backups a request may go to once every available backend failed it or is full; empty while backups are what is available. */
  private final Backend[] standby;
  /** Whether the backups are what is available (no other backend is). */
  private final boolean backupsServe;
  private final long version;
  private final boolean panicking;

  public Pool(List<Backend> backends, long version) {
    this(backends, version, Ejection.NONE, 100);
  }

  /**
   * A snapshot in which ejected backends are not available, unless more than
   * {@code maxEjectionPercent} of the healthy ones would be ejected: then none is (panic mode, as
   * in Envoy), since a mostly-failing pool is better used whole than emptied. Backup backends are
   * available only while no other backend is (down, drained, weighted 0 or ejected), as nginx's
   * and HAProxy's {@code backup} servers; when more of the others would be ejected than
   * {@code maxEjectionPercent} allows, the backups not ejected serve beside those left instead of a
   * panic; a pool whose backends are all ejected, backups included, panics with the others.
   */
  public Pool(List<Backend> backends, long version, Ejection ejection, int maxEjectionPercent) {
    this.all = Collections.unmodifiableList(new ArrayList<>(backends));
    this.byId = new HashMap<>(backends.size() * 2);
    for (Backend b : backends) {
      byId.put(b.id(), b);
    }
    Tier primary = new Tier(backends, false, ejection, maxEjectionPercent);
    Tier backup = new Tier(backends, true, ejection, maxEjectionPercent);
    Tier chosen = !primary.kept.isEmpty() || backup.kept.isEmpty() && !primary.up.isEmpty() ? primary : backup;
    if (chosen == primary && primary.panicking && !backup.kept.isEmpty()) {
      // Too many of the others ejected: the backups fill in beside those left, rather than the
      // ejected ones going back in (Envoy spills a priority's unhealthy share to the next one
      // before it panics).
      List<Backend> both = new ArrayList<>(primary.kept);
      both.addAll(backup.kept);
      this.panicking = false;
      this.available = both.toArray(NONE);
      this.standby = NONE;
      this.backupsServe = true;
    } else {
      this.panicking = chosen.panicking;
      this.available = chosen.available.isEmpty() ? NONE : chosen.available.toArray(NONE);
      this.standby = chosen == primary && !backup.available.isEmpty() ? backup.available.toArray(NONE) : NONE;
      this.backupsServe = chosen == backup;
    }
    this.version = version;
  }

  /** The backends of one tier (the others or the backups) that are UP with weight, and those of them not ejected. */
  private static final class Tier {
    final List<Backend> up = new ArrayList<>();
    final List<Backend> kept = new ArrayList<>();
    final boolean panicking;
    final List<Backend> available;

    Tier(List<Backend> backends, boolean backups, Ejection ejection, int maxEjectionPercent) {
      for (Backend b : backends) {
        if (b.backup() == backups && b.isAvailable() && b.weight() > 0) {
          up.add(b);
          if (!ejection.isEjected(b)) {
            kept.add(b);
          }
        }
      }
      int ejected = up.size() - kept.size();
      panicking = ejected > 0 && (long) ejected * 100 > (long) maxEjectionPercent * up.size();
      available = panicking ? up : kept;
    }
  }

  /** Every backend in the pool, in the order they were added. */
  public List<Backend> all() {
    return all;
  }

  /** The backends that may take new requests (UP, weight above zero; backups only when no other is). Do not modify the array. */
  public Backend[] available() {
    return available;
  }

  /**
   * The backup backends a request may go to once every available backend failed it or is full
   * (nginx does the same), while the others are what is available; otherwise empty. Do not modify
   * the array.
   */
  public Backend[] standby() {
    return standby;
  }

  /** Whether backup backends take new requests now: no other backend is available. */
  public boolean backupsServe() {
    return backupsServe;
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
