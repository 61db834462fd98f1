package io.stc.session;

import io.stc.Clock;
import io.stc.balance.Request;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Cookie affinity: the first response sets a signed cookie naming its backend, later requests
 * carrying it go back there. Nothing is stored per session, so sessions survive restarts and any
 * instance with the same key honours them; a client cannot pick a backend by forging a cookie.
 *
 * <p>A session's cookie is reissued once it is half its ttl old, so an active session does not lose
 * its backend mid-use while an idle one expires between ttl/2 and ttl after its last request.
 */
public final class CookieSessions implements StickySessions {
  /** How far ahead of this instance's clock another instance's cookie may be dated. */
  static final long MAX_CLOCK_SKEW_SECONDS = 300;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final String name;
  private final long ttlSeconds;
  private final long ttlNanos;
  private final long refreshAfterSeconds;
  private final boolean honourDraining;
  private final SessionCookie cookie;
  private final Clock epochClock;
  private final String prefix;
  private final String attributes;
  private final ConcurrentHashMap<String, SlidingCount> issued = new ConcurrentHashMap<>();

  /**
   * @param name the cookie name
   * @param key the signing secret, at least 16 bytes
   * @param epochClock wall-clock time: nanoseconds since the Unix epoch, because issue times must
   *     mean the same to every instance and across restarts
   */
  public CookieSessions(String name, Duration ttl, boolean honourDraining, byte[] key, Clock epochClock) {
    this.ttlSeconds = ttl.toSeconds();
    if (ttlSeconds < 1) {
      throw new IllegalArgumentException("sticky ttl must be at least 1s");
    }
    this.name = name;
    this.ttlNanos = ttlSeconds * NANOS_PER_SECOND;
    this.refreshAfterSeconds = Math.max(1, ttlSeconds / 2);
    this.honourDraining = honourDraining;
    this.cookie = new SessionCookie(key);
    this.epochClock = epochClock;
    this.prefix = name + "=";
    this.attributes = "; Path=/; Max-Age=" + ttlSeconds + "; HttpOnly; SameSite=Lax";
  }

  @Override
  public Backend pinned(Request request, Pool pool) {
    String value = request.cookie(name);
    if (value == null) {
      return null;
    }
    String id = cookie.backendId(value, nowSeconds(), ttlSeconds, MAX_CLOCK_SKEW_SECONDS);
    return id == null ? null : PinnedBackend.resolve(pool, id, honourDraining);
  }

  @Override
  public String pin(Request request, Backend served, Backend pinned) {
    if (served == null) {
      return null;
    }
    long now = epochClock.nanos();
    long seconds = Math.floorDiv(now, NANOS_PER_SECOND);
    if (served == pinned) {
      // pinned() verified this cookie; only its age matters now.
      long issuedAt = SessionCookie.issuedAt(request.cookie(name));
      if (issuedAt >= 0 && seconds - issuedAt < refreshAfterSeconds) {
        return null;
      }
    }
    String value = cookie.issue(served.id(), seconds);
    if (value == null) {
      return null;
    }
    counter(served.id(), now).add(now);
    return prefix + value + attributes;
  }

  /**
   * Cookies this instance issued (new or refreshed) for the backend within the last ttl: the
   * sessions that may still come back to it. Approximate: counted in sixteenths of the ttl, a
   * session refreshed within the window counts twice, and other instances' cookies are not seen.
   */
  @Override
  public int sessions(Backend backend) {
    SlidingCount c = issued.get(backend.id());
    return c == null ? 0 : (int) Math.min(Integer.MAX_VALUE, c.sum(epochClock.nanos()));
  }

  private SlidingCount counter(String id, long now) {
    SlidingCount c = issued.get(id);
    if (c != null) {
      return c;
    }
    // A new backend is rare: the moment to drop counters of backends nobody was sent to lately,
    // which keeps the map as small as the set of recently used backends.
    issued.values().removeIf(old -> old.sum(now) == 0);
    return issued.computeIfAbsent(id, k -> new SlidingCount(ttlNanos));
  }

  private long nowSeconds() {
    return Math.floorDiv(epochClock.nanos(), NANOS_PER_SECOND);
  }
}
