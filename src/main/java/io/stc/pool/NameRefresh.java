package io.stc.pool;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks the host names of the pool's backends up again, and moves each backend to where its name
 * now points, as Envoy's DNS clusters and HAProxy's resolvers do: a container restarted with a new
 * address, or a service whose name is repointed, takes its traffic with it instead of leaving stc
 * connecting to an address nobody serves (or, worse, someone else does). A backend stays where it
 * is while its name still includes its address (round-robin DNS reorders answers; that is no move),
 * and keeps its last address while its name does not resolve. Runs on the control plane, never on
 * the data plane's event loops; each look-up blocks its caller.
 */
public final class NameRefresh {
  /** Looks a name up: every address it has now. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /** The JVM's resolver (its cache's time to live is {@code networkaddress.cache.ttl}). */
  public static final Resolver SYSTEM = InetAddress::getAllByName;

  private static final Logger log = LoggerFactory.getLogger(NameRefresh.class);

  private final Upstream upstream;
  private final Resolver resolver;
  /** Names whose last look-up failed, with why: a failure is logged when it begins, not at every look-up. */
  private final Map<String, String> failing = new HashMap<>();

  public NameRefresh(Upstream upstream, Resolver resolver) {
    this.upstream = upstream;
    this.resolver = resolver;
  }

  /** Looks every named backend up once (one round at a time); returns how many moved. */
  public synchronized int refresh() {
    int moved = 0;
    Map<String, InetAddress[]> looked = new HashMap<>();
    for (Backend b : upstream.pool().all()) {
      if (!b.named()) {
        continue;
      }
      InetAddress[] now = looked.computeIfAbsent(b.host(), this::lookUp);
      if (now.length == 0) {
        continue;
      }
      InetAddress current = b.address().getAddress();
      if (current != null && contains(now, current)) {
        continue;
      }
      b.moveTo(now[0]);
      moved++;
      if (current == null) {
        log.info("backend {}: {} resolves now, to {}", b.id(), b.host(), now[0].getHostAddress());
      } else {
        log.info("backend {}: {} now points at {}, no longer {}: new connections go there, open ones finish",
            b.id(), b.host(), now[0].getHostAddress(), current.getHostAddress());
      }
    }
    return moved;
  }

  private InetAddress[] lookUp(String host) {
    try {
      InetAddress[] all = resolver.resolve(host);
      if (failing.remove(host) != null) {
        log.info("{} resolves again", host);
      }
      return all;
    } catch (UnknownHostException | RuntimeException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      if (!why.equals(failing.put(host, why))) {
        log.warn("{} does not resolve ({}); its backends keep their last address", host, why);
      }
      // Remembered for this round like an answer, so a name several backends share is asked once.
      return new InetAddress[0];
    }
  }

  private static boolean contains(InetAddress[] all, InetAddress a) {
    for (InetAddress x : all) {
      if (x.equals(a)) {
        return true;
      }
    }
    return false;
  }
}
