package io.stc.admin;

import io.stc.pool.PoolEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's event bus: anything may {@link #publish} an event (pool changes, algorithm
 * switches, breakers, scaling), and subscribers such as the admin's event stream hear it; the most
 * recent ones are kept for late readers.
 */
public final class ControlEvents {
  private static final Logger log = LoggerFactory.getLogger(ControlEvents.class);
  static final int KEPT = 100;

  private final List<Consumer<ControlEvent>> subscribers = new CopyOnWriteArrayList<>();
  private final ArrayDeque<ControlEvent> recent = new ArrayDeque<>();

  /** Tells every subscriber, on the publishing thread; subscribers must not block. */
  public void publish(String type, String message, Map<String, Object> data) {
    ControlEvent e = new ControlEvent(type, System.currentTimeMillis(), message, data);
    synchronized (recent) {
      if (recent.size() == KEPT) {
        recent.removeFirst();
      }
      recent.addLast(e);
    }
    for (Consumer<ControlEvent> s : subscribers) {
      try {
        s.accept(e);
      } catch (RuntimeException ex) {
        log.warn("event subscriber failed on {}", type, ex);
      }
    }
  }

  public void subscribe(Consumer<ControlEvent> subscriber) {
    subscribers.add(subscriber);
  }

  public void unsubscribe(Consumer<ControlEvent> subscriber) {
    subscribers.remove(subscriber);
  }

  /** The last {@code limit} events, oldest first. */
  public List<ControlEvent> recent(int limit) {
    synchronized (recent) {
      List<ControlEvent> all = new ArrayList<>(recent);
      return all.subList(Math.max(0, all.size() - limit), all.size());
    }
  }

  /** Publishes a pool change as {@code backend_added}, {@code backend_removed}, {@code backend_up}, ... */
  public void onPoolEvent(PoolEvent e) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("backend", e.backend().id());
    String type =
        switch (e.kind()) {
          case ADDED -> "backend_added";
          case REMOVED -> "backend_removed";
          case WEIGHT_CHANGED -> "backend_weight";
          case BACKUP_CHANGED -> "backend_backup";
          case LIMIT_CHANGED -> "backend_max_inflight";
          case STATE_CHANGED -> "backend_" + e.backend().state().label();
        };
    if (e.kind() == PoolEvent.Kind.WEIGHT_CHANGED) {
      data.put("weight", e.backend().weight());
    }
    if (e.kind() == PoolEvent.Kind.BACKUP_CHANGED) {
      data.put("backup", e.backend().backup());
    }
    if (e.kind() == PoolEvent.Kind.LIMIT_CHANGED) {
      data.put("max_inflight", e.backend().maxInflight());
    }
    if (e.previousState() != null && e.kind() == PoolEvent.Kind.STATE_CHANGED) {
      data.put("previous", e.previousState().label());
    }
    publish(type, e.backend().id() + ": " + e.reason(), data);
  }
}
