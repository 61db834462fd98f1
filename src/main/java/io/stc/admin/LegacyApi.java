package io.stc.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stc.balance.Algorithm;
import io.stc.config.BackendSpec;
import io.stc.pool.Backend;
import io.stc.pool.Upstream;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The predecessors' admin routes with their own request and answer shapes, filled from stc's
 * figures, so their monitors, dashboards and scripts keep working: seed 004's {@code /lb/*} and
 * seed 001's {@code /status}, {@code /algorithm}, {@code /reset} and {@code /api/process}.
 */
final class LegacyApi {
  /** Python's {@code datetime.isoformat()} with an explicit UTC offset, which every ISO-8601 parser reads. */
  static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);
  static final int RECENT_SHOWN = 20;
  /** Seed 001's names, and which stc algorithm each one is. */
  private static final List<String> SEED_ALGORITHMS = List.of("round_robin", "least_connections", "weighted", "least_response_time");

  private final Controller controller;
  private final StatsView view;
  private final Upstream upstream;
  private final TrafficRecorder traffic;
  private final DataPlaneClient dataPlane;
  private final String backendScheme;

  LegacyApi(Controller controller, StatsView view, Upstream upstream, TrafficRecorder traffic, DataPlaneClient dataPlane,
      boolean tlsToBackends) {
    this.backendScheme = tlsToBackends ? "https" : "http";
    this.controller = controller;
    this.view = view;
    this.upstream = upstream;
    this.traffic = traffic;
    this.dataPlane = dataPlane;
  }

  void mount(Router router) {
    router.get("/lb/stats").handler(ctx -> AdminApi.send(ctx, 200, lbStats()));
    router.post("/lb/add-server").handler(this::addServer);
    router.post("/lb/remove-server").handler(this::removeServer);
    router.get("/status").handler(ctx -> AdminApi.send(ctx, 200, status()));
    router.post("/algorithm").handler(this::algorithm);
    router.post("/reset").handler(ctx -> {
      controller.reset();
      AdminApi.send(ctx, 200, AdminApi.obj().put("message", "Statistics reset successfully"));
    });
    router.get("/api/process").handler(this::process);
    router.post("/api/process").handler(this::process);
  }

  /** Seed 004's statistics: one entry per backend keyed {@code host:port}, rates and times as strings. */
  ObjectNode lbStats() {
    ObjectNode root = AdminApi.obj();
    root.put("algorithm", controller.algorithm().configName());
    List<Backend> all = upstream.pool().all();
    ObjectNode servers = AdminApi.obj();
    int healthy = 0;
    long sessions = 0;
    for (Backend b : all) {
      ObjectNode v = view.backend(b);
      boolean up = isHealthy(v);
      healthy += up ? 1 : 0;
      sessions += v.path("sticky_sessions").asLong(0);
      ObjectNode s = servers.putObject(b.id());
      s.put("host", b.host());
      s.put("port", b.port());
      s.put("is_healthy", up);
      s.put("active_connections", v.path("in_flight").asInt());
      long requests = v.path("requests").asLong();
      long errors = v.path("errors").asLong();
      s.put("total_requests", requests);
      s.put("total_errors", errors);
      s.put("error_rate", String.format(Locale.ROOT, "%.2f%%", requests == 0 ? 0.0 : 100.0 * errors / requests));
      s.put("avg_response_time", String.format(Locale.ROOT, "%.3fs", v.path("latency_ms").path("avg").asDouble() / 1000));
      JsonNode check = v.path("last_health_check");
      if (check.isObject()) {
        s.put("last_health_check", ISO.format(Instant.parse(check.path("time").asText())));
      } else {
        s.putNull("last_health_check");
      }
    }
    root.put("total_servers", all.size());
    root.put("healthy_servers", healthy);
    root.put("active_sessions", sessions);
    root.set("servers", servers);
    return root;
  }

  /** In rotation: what both predecessors meant by healthy (checks passing, taking traffic). */
  private static boolean isHealthy(JsonNode backend) {
    return backend.path("state").asText().equals("up");
  }

  /** Seed 001's status: totals in its names, a list of servers, and the last 20 requests, oldest first. */
  ObjectNode status() {
    ObjectNode s = view.stats();
    ObjectNode root = AdminApi.obj();
    root.put("load_balancer_id", "stc:" + dataPlane.host() + ":" + dataPlanePort());
    root.put("algorithm", s.path("algorithm").asText());
    root.put("uptime", StatsView.round(s.path("uptime_s").asDouble(), 2));
    StatsView.Totals t = view.totals();
    ObjectNode stats = root.putObject("statistics");
    // The predecessor had no client aborts: its totals are the exchanges that ended with an answer.
    stats.put("total_requests", t.successes() + t.failures());
    stats.put("successful_requests", t.successes());
    stats.put("failed_requests", t.failures());
    stats.put("start_time", StatsView.round(t.sinceEpochMillis() / 1000.0, 3));
    ArrayNode servers = root.putArray("backend_servers");
    for (JsonNode b : s.path("backends")) {
      ObjectNode n = servers.addObject();
      n.put("id", b.path("id").asText());
      n.put("url", backendScheme + "://" + b.path("id").asText());
      n.put("healthy", isHealthy(b));
      n.put("active_connections", b.path("in_flight").asInt());
      n.put("weight", b.path("weight").asInt());
      n.put("total_requests", b.path("requests").asLong());
      n.put("failed_requests", b.path("errors").asLong());
      n.put("avg_response_time", StatsView.round(b.path("latency_ms").path("avg").asDouble() / 1000, 3));
    }
    ArrayNode recent = root.putArray("recent_requests");
    List<RequestRecord> latest = traffic.recent().latest(RECENT_SHOWN);
    for (int i = latest.size() - 1; i >= 0; i--) {
      RequestRecord r = latest.get(i);
      ObjectNode n = recent.addObject();
      n.put("timestamp", ISO.format(Instant.ofEpochMilli(r.epochMillis())));
      if (r.backend() == null) {
        n.putNull("server_id");
      } else {
        n.put("server_id", r.backend());
      }
      n.put("response_time", StatsView.round(r.latencyNanos() / 1e9, 3));
      n.put("status", outcome(r.status()));
    }
    return root;
  }

  /** Seed 001 listed {@code success}; failures and aborts get their own word. */
  static String outcome(int status) {
    if (TrafficRecorder.isClientAbort(status)) {
      return "aborted";
    }
    return TrafficRecorder.isFailure(status) ? "failed" : "success";
  }

  private int dataPlanePort() {
    return dataPlane.port();
  }

  private void addServer(RoutingContext ctx) {
    JsonBody body = JsonBody.parse(ctx.body().asString(), "host", "port", "weight");
    String host = AdminApi.host(body.requireString("host"));
    int port = body.requireInt("port", BackendSpec.MIN_PORT, BackendSpec.MAX_PORT);
    int weight = body.integer("weight", 0, BackendSpec.MAX_WEIGHT, BackendSpec.DEFAULT_WEIGHT);
    Backend b = controller.add(host, port, weight);
    ctx.response().putHeader("Location", "/api/backends/" + b.id());
    AdminApi.send(ctx, 200, AdminApi.obj().put("message", "Server " + b.id() + " added successfully"));
  }

  private void removeServer(RoutingContext ctx) {
    JsonBody body = JsonBody.parse(ctx.body().asString(), "host", "port");
    String host = AdminApi.host(body.requireString("host"));
    int port = body.requireInt("port", BackendSpec.MIN_PORT, BackendSpec.MAX_PORT);
    String id = Backend.idOf(host, port);
    Backend b = upstream.pool().find(id);
    if (b == null) {
      throw ApiError.notFound("Server " + id + " is not in the pool; nothing removed");
    }
    controller.remove(b);
    String message = b.isRemoved()
        ? "Server " + id + " removed successfully"
        : "Server " + id + " is draining: removed once its " + b.stats().inFlight()
            + " requests in flight finish (at most " + controller.drainTimeout().toSeconds() + "s); no new requests go to it";
    AdminApi.send(ctx, 200, AdminApi.obj().put("message", message));
  }

  private void algorithm(RoutingContext ctx) {
    JsonBody body = JsonBody.parse(ctx.body().asString(), "algorithm");
    String name = body.requireString("algorithm");
    Algorithm a;
    try {
      a = name.equalsIgnoreCase("weighted") ? Algorithm.WEIGHTED_ROUND_ROBIN : Algorithm.parse(name);
    } catch (IllegalArgumentException e) {
      ObjectNode error = AdminApi.obj().put("error", "Invalid algorithm").put("field", "algorithm");
      ArrayNode valid = error.putArray("valid_options");
      SEED_ALGORITHMS.forEach(valid::add);
      for (Algorithm each : Algorithm.values()) {
        if (!SEED_ALGORITHMS.contains(each.configName())) {
          valid.add(each.configName());
        }
      }
      AdminApi.send(ctx, 400, error);
      return;
    }
    controller.algorithm(a);
    AdminApi.send(ctx, 200, AdminApi.obj().put("message", "Algorithm changed to " + name).put("current", name));
  }

  /** Seed 001's one data route on its control port: forwarded through the data plane like any client request. */
  private void process(RoutingContext ctx) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null) {
      headers.add(HttpHeaders.CONTENT_TYPE, type);
    }
    var body = ctx.body().buffer();
    dataPlane.send(ctx.request().method(), ctx.request().uri(), headers, body == null || body.length() == 0 ? null : body)
        .onComplete(r -> {
          DataPlaneClient.Answer a = r.result();
          if (a.error() != null) {
            AdminServer.error(ctx, 502, "the data plane did not answer: " + a.error(), null);
            return;
          }
          if (a.servedBy() != null) {
            ctx.response().putHeader(dataPlane.servedByHeader(), a.servedBy());
          }
          if (a.contentType() != null) {
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, a.contentType());
          }
          ctx.response().setStatusCode(a.status()).end(a.body());
        });
  }
}
