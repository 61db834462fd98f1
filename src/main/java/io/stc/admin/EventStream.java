package io.stc.admin;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * {@code GET /api/events}: a server-sent event stream with a {@code stats} snapshot every second and
 * every control-plane event as it happens. A client that reads too slowly misses snapshots rather
 * than growing the server's buffers.
 */
public final class EventStream implements AutoCloseable {
  private final Vertx vertx;
  private final StatsView view;
  private final ControlEvents events;
  private final Set<HttpServerResponse> clients = ConcurrentHashMap.newKeySet();
  private long timer = -1;

  public EventStream(Vertx vertx, StatsView view, ControlEvents events) {
    this.vertx = vertx;
    this.view = view;
    this.events = events;
  }

  /** Starts the once-a-second snapshots. */
  public void start() {
    timer = vertx.setPeriodic(1000, id -> {
      if (clients.isEmpty()) {
        return;
      }
      String frame = frame("stats", view.stats().toString());
      for (HttpServerResponse r : clients) {
        if (!r.writeQueueFull()) {
          r.write(frame);
        }
      }
    });
  }

  void open(RoutingContext ctx) {
    HttpServerResponse r = ctx.response();
    r.setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    r.write(": stc events\nretry: 2000\n\n");
    r.write(frame("stats", view.stats().toString()));
    Context context = vertx.getOrCreateContext();
    // Events are published on any thread; the response is written only on its own context.
    Consumer<ControlEvent> subscriber = e -> {
      String f = frame(e.type(), StatsView.event(e).toString());
      context.runOnContext(v -> {
        if (clients.contains(r)) {
          r.write(f);
        }
      });
    };
    clients.add(r);
    events.subscribe(subscriber);
    r.closeHandler(v -> {
      clients.remove(r);
      events.unsubscribe(subscriber);
    });
  }

  private static String frame(String event, String data) {
    return "event: " + event + "\ndata: " + data + "\n\n";
  }

  @Override
  public void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    for (HttpServerResponse r : clients) {
      r.end();
    }
    clients.clear();
  }
}
