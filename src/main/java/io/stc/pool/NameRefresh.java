package io.stc.pool;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks the host names of the pool's backends up again, and keeps one backend at every address a
 * name has, as Envoy's {@code STRICT_DNS} clusters do: a service scaled to three instances behind
 * one name (a Compose service, a headless Kubernetes service) gets three backends, and a container
 * restarted with a new address, or a name repointed, takes its traffic with it instead of leaving
 * stc connecting to an address nobody serves (or, worse, someone else does).
 *
 * <p>The configured backend keeps its id and stays where it is while its name still includes its
 * address (round-robin DNS reorders answers; that is no move), and moves when the name leaves it.
 * Each other address gets a backend of its own ({@link Backend#siblingOf}), with the configured
 * one's weight and protocol, checked by the probes like any added backend; it is removed when the
 * name leaves its address (requests under way on it finish) or when its configured backend leaves
 * the pool. A name that does not resolve keeps every backend where it is. Runs on the control
 * plane, never on the data plane's event loops; each look-up blocks its caller.
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
  private final BackendState joinState;
  /** Names whose last look-up failed, with why: a failure is logged when it begins, not at every look-up. */
  private final Map<String, String> failing = new HashMap<>();

  /** Backends for a name's other addresses join UP: nothing checks them. */
  public NameRefresh(Upstream upstream, Resolver resolver) {
    this(upstream, resolver, BackendState.UP);
  }

  /** @param joinState the state a backend for another address of a name starts in: DOWN when probes must pass first */
  public NameRefresh(Upstream upstream, Resolver resolver, BackendState joinState) {
    this.upstream = upstream;
    this.resolver = resolver;
    this.joinState = joinState;
  }

  /** Looks every named backend up once (one round at a time); returns how many backends moved, came or went. */
  public synchronized int refresh() {
    int changed = 0;
    Map<String, InetAddress[]> looked = new HashMap<>();
    Map<String, List<Backend>> siblings = new HashMap<>();
    Pool pool = upstream.pool();
    for (Backend b : pool.all()) {
      if (b.siblingOf() != null) {
        Backend named = pool.find(b.siblingOf());
        if (named == null || !named.host().equals(b.host())) {
          // Its configured backend left the pool (or another took its id): so do its other addresses.
          upstream.remove(b.id());
          changed++;
        } else {
          siblings.computeIfAbsent(b.siblingOf(), k -> new ArrayList<>()).add(b);
        }
      }
    }
    for (Backend b : pool.all()) {
      if (!b.named() || b.siblingOf() != null || b.isRemoved()) {
        continue;
      }
      InetAddress[] now = looked.computeIfAbsent(b.host(), this::lookUp);
      if (now.length > 0) {
        changed += follow(b, distinct(now), siblings.getOrDefault(b.id(), List.of()));
      }
    }
    return changed;
  }

  /** Puts {@code named} and its siblings at the addresses {@code now}, one backend each; returns the changes. */
  private int follow(Backend named, List<InetAddress> now, List<Backend> siblings) {
    int changed = 0;
    InetAddress current = named.inetAddress().getAddress();
    Map<InetAddress, Backend> kept = new LinkedHashMap<>();
    for (Backend s : siblings) {
      InetAddress a = s.inetAddress().getAddress();
      if (now.contains(a) && !a.equals(current) && kept.putIfAbsent(a, s) == null) {
        // Another address of the name is the same backend to whoever configured it: its settings follow.
        if (s.weight() != named.weight()) {
          upstream.setWeight(s, named.weight());
        }
        upstream.setBackup(s, named.backup());
        upstream.setMaxInflight(s, named.maxInflight());
        continue;
      }
      upstream.remove(s.id());
      changed++;
      log.info("backend {}: {} no longer points at {}: removed, requests under way finish", s.id(), s.host(),
          s.inetAddress().getAddress().getHostAddress());
    }
    if (current == null || !now.contains(current)) {
      // To an address no other backend of the name has; when each has one, to the first, whose
      // backend then goes (one backend per address).
      InetAddress to = now.stream().filter(a -> !kept.containsKey(a)).findFirst().orElse(now.get(0));
      Backend there = kept.remove(to);
      if (there != null) {
        upstream.remove(there.id());
        changed++;
      }
      named.moveTo(to);
      changed++;
      if (current == null) {
        log.info("backend {}: {} resolves now, to {}", named.id(), named.host(), to.getHostAddress());
      } else {
        log.info("backend {}: {} now points at {}, no longer {}: new connections go there, open ones finish",
            named.id(), named.host(), to.getHostAddress(), current.getHostAddress());
      }
    }
    for (InetAddress a : now) {
      if (!a.equals(named.inetAddress().getAddress()) && !kept.containsKey(a)) {
        Backend added = upstream.addSibling(named, a, joinState);
        changed++;
        log.info("backend {}: {} also points at {}: a backend of its own", added.id(), named.host(), a.getHostAddress());
      }
    }
    return changed;
  }

  private static List<InetAddress> distinct(InetAddress[] all) {
    List<InetAddress> out = new ArrayList<>(all.length);
    for (InetAddress a : all) {
      if (!out.contains(a)) {
        out.add(a);
      }
    }
    return out;
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
}
