package io.stc.session;

import io.stc.Clock;
import io.stc.balance.Request;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Affinity by a key the client sends anyway (its IP address, or a header), remembered in a bounded
 * table: at most {@code maxSessions} entries, least recently used first out, and entries idle for
 * longer than the ttl dropped. Requests without a key are balanced on their own and never stored.
 *
 * <p>The table is split into stripes, each an access-ordered map under its own lock, so event
 * loops rarely meet and each stripe is an exact LRU whose expired entries sit at its head.
 */
public final class TableSessions implements StickySessions {
  /** Longer keys are not pinned: the memory bound must not depend on what clients send. */
  public static final int MAX_KEY_LENGTH = 256;
  private static final int MAX_STRIPES = 64;
  private static final int MIN_ENTRIES_PER_STRIPE = 256;

  private final Function<Request, String> keyOf;
  private final long ttlNanos;
  private final boolean honourDraining;
  private final Clock clock;
  private final Stripe[] stripes;
  // Live entries per backend id; an id leaves the map when its last entry goes.
  private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

  TableSessions(Function<Request, String> keyOf, Duration ttl, int maxSessions, boolean honourDraining, Clock clock) {
    if (maxSessions < 1 || ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("sticky sessions need max_sessions >= 1 and a ttl above 0");
    }
    this.keyOf = keyOf;
    this.ttlNanos = ttl.toNanos();
    this.honourDraining = honourDraining;
    this.clock = clock;
    int n = Integer.highestOneBit(Math.max(1, Math.min(MAX_STRIPES, maxSessions / MIN_ENTRIES_PER_STRIPE)));
    this.stripes = new Stripe[n];
    for (int i = 0; i < n; i++) {
      stripes[i] = new Stripe(maxSessions / n + (i < maxSessions % n ? 1 : 0));
    }
  }

  /** Sessions keyed by the client's IP address. */
  public static TableSessions byClientIp(Duration ttl, int maxSessions, boolean honourDraining, Clock clock) {
    return new TableSessions(Request::clientIp, ttl, maxSessions, honourDraining, clock);
  }

  /** Sessions keyed by the value of request header {@code header}. */
  public static TableSessions byHeader(
      String header, Duration ttl, int maxSessions, boolean honourDraining, Clock clock) {
    return new TableSessions(r -> r.header(header), ttl, maxSessions, honourDraining, clock);
  }

  @Override
  public Backend pinned(Request request, Pool pool) {
    String key = key(request);
    if (key == null) {
      return null;
    }
    Stripe s = stripe(key);
    String id;
    synchronized (s) {
      Pin p = s.map.get(key);
      if (p == null) {
        return null;
      }
      long now = clock.nanos();
      if (now - p.lastUsed > ttlNanos) {
        s.map.remove(key);
        release(p.backendId);
        return null;
      }
      p.lastUsed = now;
      id = p.backendId;
    }
    return PinnedBackend.resolve(pool, id, honourDraining);
  }

  @Override
  public String pin(Request request, Backend served, Backend pinned) {
    if (served == null || served == pinned) {
      return null; // already pinned there, and pinned() refreshed the entry
    }
    String key = key(request);
    if (key == null) {
      return null;
    }
    String id = served.id();
    Stripe s = stripe(key);
    synchronized (s) {
      long now = clock.nanos();
      Pin p = s.map.get(key);
      if (p != null) {
        if (!p.backendId.equals(id)) {
          release(p.backendId);
          hold(id);
          p.backendId = id;
        }
        p.lastUsed = now;
        return null;
      }
      dropExpired(s, now);
      if (s.map.size() >= s.capacity) {
        Iterator<Map.Entry<String, Pin>> eldest = s.map.entrySet().iterator();
        release(eldest.next().getValue().backendId);
        eldest.remove();
      }
      s.map.put(key, new Pin(id, now));
      hold(id);
    }
    return null;
  }

  /** Unexpired table entries that point at the backend (by id, so a re-added backend inherits them). */
  @Override
  public int sessions(Backend backend) {
    long now = clock.nanos();
    for (Stripe s : stripes) {
      synchronized (s) {
        dropExpired(s, now);
      }
    }
    return counts.getOrDefault(backend.id(), 0);
  }

  /** Entries in the table, expired ones not yet dropped included. */
  int size() {
    int total = 0;
    for (Stripe s : stripes) {
      synchronized (s) {
        total += s.map.size();
      }
    }
    return total;
  }

  private String key(Request request) {
    String k = keyOf.apply(request);
    return k == null || k.isEmpty() || k.length() > MAX_KEY_LENGTH ? null : k;
  }

  private Stripe stripe(String key) {
    int h = key.hashCode();
    return stripes[(h ^ (h >>> 16)) & (stripes.length - 1)];
  }

  /** Drops expired entries; access order puts them all at the head. Caller holds the stripe's lock. */
  private void dropExpired(Stripe s, long now) {
    Iterator<Pin> it = s.map.values().iterator();
    while (it.hasNext()) {
      Pin p = it.next();
      if (now - p.lastUsed <= ttlNanos) {
        return;
      }
      it.remove();
      release(p.backendId);
    }
  }

  private void hold(String id) {
    counts.merge(id, 1, Integer::sum);
  }

  private void release(String id) {
    counts.computeIfPresent(id, (k, c) -> c <= 1 ? null : c - 1);
  }

  /** One lock's share of the table. */
  private static final class Stripe {
    final int capacity;
    final LinkedHashMap<String, Pin> map = new LinkedHashMap<>(16, 0.75f, true);

    Stripe(int capacity) {
      this.capacity = capacity;
    }
  }

  /** Where a key goes, and when it was last used (guarded by its stripe's lock). */
  private static final class Pin {
    String backendId;
    long lastUsed;

    Pin(String backendId, long lastUsed) {
      this.backendId = backendId;
      this.lastUsed = lastUsed;
    }
  }
}
