package io.stc.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stc.balance.Algorithm;
import io.stc.config.BackendSpec;
import io.stc.config.StcConfig.BackendConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendProtocol;
import io.stc.pool.Upstream;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** The admin API's routes: stats, backends, algorithm, reset, reload, recent requests, events, test requests, and the predecessors' routes. */
public final class AdminApi {
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:%\\-]+");
  static final int MAX_REQUESTS_LIMIT = TrafficRecorder.RECENT;

  private final Controller controller;
  private final StatsView view;
  private final StcMetrics metrics;
  private final EventStream stream;
  private final Upstream upstream;
  private final String openApi;
  private final LegacyApi legacy;
  private final TestRequests testRequests;

  public AdminApi(Controller controller, StatsView view, StcMetrics metrics, EventStream stream, Upstream upstream,
      TrafficRecorder traffic, DataPlaneClient dataPlane, boolean tlsToBackends) {
    this.legacy = new LegacyApi(controller, view, upstream, traffic, dataPlane, tlsToBackends);
    this.testRequests = new TestRequests(dataPlane);
    this.controller = controller;
    this.view = view;
    this.metrics = metrics;
    this.stream = stream;
    this.upstream = upstream;
    this.openApi = OpenApiDocument.text();
  }

  /** Adds every route to {@code router}. */
  public void mount(Router router) {
    router.get("/health").handler(ctx -> send(ctx, 200, obj().put("status", "ok")));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.scrape()));
    router.get("/api/openapi.json").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/json").end(openApi));
    router.get("/api/stats").handler(ctx -> send(ctx, 200, view.stats()));
    router.get("/api/backends").handler(ctx -> send(ctx, 200, view.backends()));
    router.post("/api/backends").handler(this::addBackend);
    router.get("/api/backends/:id").handler(ctx -> send(ctx, 200, view.backend(backend(ctx))));
    router.patch("/api/backends/:id").handler(this::patchBackend);
    router.delete("/api/backends/:id").handler(ctx -> {
      Backend b = backend(ctx);
      controller.remove(b);
      send(ctx, 202, view.backend(b));
    });
    router.get("/api/algorithm").handler(ctx -> send(ctx, 200, algorithm()));
    router.put("/api/algorithm").handler(this::setAlgorithm);
    router.post("/api/reset").handler(this::reset);
    router.post("/api/reload").handler(ctx -> send(ctx, 200, obj().put("message", controller.reload())));
    router.get("/api/requests").handler(this::requests);
    router.get("/api/events").handler(stream::open);
    legacy.mount(router);
    router.post("/api/test-requests").handler(testRequests::handle);
  }

  private void ready(RoutingContext ctx) {
    int available = upstream.pool().availableCount();
    send(ctx, available > 0 ? 200 : 503, obj().put("ready", available > 0).put("available_backends", available));
  }

  private void addBackend(RoutingContext ctx) {
    JsonBody body = JsonBody.parse(ctx.body().asString(), "host", "port", "unix", "weight", "protocol", "backup", "max_inflight");
    String host;
    int port;
    if (body.has("unix")) {
      if (body.has("host") || body.has("port")) {
        throw ApiError.badRequest("give 'host' and 'port', or 'unix' (a Unix socket's path), not both", body.has("host") ? "host" : "port");
      }
      try {
        host = BackendSpec.unix(body.requireString("unix"));
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest("'unix': " + e.getMessage(), "unix");
      }
      if (controller.tlsToBackends()) {
        throw ApiError.badRequest("'unix': stc speaks cleartext to a Unix socket, but tls.backends is true", "unix");
      }
      port = 0;
    } else {
      host = host(body.requireString("host"));
      port = body.requireInt("port", BackendSpec.MIN_PORT, BackendSpec.MAX_PORT);
    }
    int weight = body.integer("weight", 0, BackendSpec.MAX_WEIGHT, BackendSpec.DEFAULT_WEIGHT);
    BackendProtocol protocol = BackendProtocol.HTTP1;
    if (body.has("protocol")) {
      try {
        protocol = BackendProtocol.parse(body.requireString("protocol"));
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest("'protocol' " + e.getMessage(), "protocol");
      }
      String conflict = protocol.conflictWithTls(controller.tlsToBackends());
      if (conflict != null) {
        throw ApiError.badRequest("'protocol': " + conflict, "protocol");
      }
    }
    boolean backup = body.bool("backup", false);
    int maxInflight = body.integer("max_inflight", 0, 1_000_000, 0);
    Backend b = controller.add(new BackendConfig(host, port, weight, protocol, backup, maxInflight));
    // As one path segment: a Unix socket backend's id holds slashes.
    ctx.response().putHeader("Location", "/api/backends/" + b.id().replace("%", "%25").replace("/", "%2F"));
    send(ctx, 201, view.backend(b));
  }

  static String host(String text) {
    String h = text.isBlank() ? "" : BackendSpec.host(text);
    if (!HOST.matcher(h).matches()) {
      throw ApiError.badRequest("'host' must be a host name or IP address, got '" + text + "'", "host");
    }
    return h;
  }

  private void patchBackend(RoutingContext ctx) {
    Backend b = backend(ctx);
    JsonBody body = JsonBody.parse(ctx.body().asString(), "weight", "state", "backup", "max_inflight");
    if (!body.has("weight") && !body.has("state") && !body.has("backup") && !body.has("max_inflight")) {
      throw ApiError.badRequest("give 'weight', 'state', 'backup' and/or 'max_inflight'", null);
    }
    // Validate everything before changing anything, so a bad field leaves the backend as it was.
    int weight = body.integer("weight", 0, BackendSpec.MAX_WEIGHT, b.weight());
    String mode = body.has("state") ? body.requireString("state") : null;
    if (mode != null && !mode.equals("up") && !mode.equals("drain") && !mode.equals("maint")) {
      throw ApiError.badRequest("'state' must be one of up, drain, maint; got '" + mode + "'", "state");
    }
    boolean backup = body.bool("backup", b.backup());
    int limit = body.integer("max_inflight", 0, 1_000_000, b.maxInflight());
    controller.weight(b, weight);
    controller.backup(b, backup);
    controller.maxInflight(b, limit);
    if (mode != null) {
      controller.mode(b, mode);
    }
    send(ctx, 200, view.backend(b));
  }

  private Backend backend(RoutingContext ctx) {
    // Path parameters arrive decoded; decoding again accepts ids that a client encoded twice.
    String id = ctx.pathParam("id");
    if (id.contains("%")) {
      id = URLDecoder.decode(id, StandardCharsets.UTF_8);
    }
    return controller.find(id);
  }

  private ObjectNode algorithm() {
    ObjectNode n = obj().put("algorithm", controller.algorithm().configName());
    ArrayNode valid = n.putArray("available");
    for (Algorithm a : Algorithm.values()) {
      valid.add(a.configName());
    }
    return n;
  }

  private void setAlgorithm(RoutingContext ctx) {
    JsonBody body = JsonBody.parse(ctx.body().asString(), "algorithm");
    String name = body.requireString("algorithm");
    Algorithm a;
    try {
      a = Algorithm.parse(name);
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(e.getMessage(), "algorithm");
    }
    controller.algorithm(a);
    send(ctx, 200, algorithm());
  }

  private void reset(RoutingContext ctx) {
    controller.reset();
    send(ctx, 200, obj().put("message", "counters reset"));
  }

  private void requests(RoutingContext ctx) {
    int limit = 100;
    String q = ctx.queryParams().get("limit");
    if (q != null) {
      try {
        limit = Integer.parseInt(q.trim());
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_REQUESTS_LIMIT) {
        throw ApiError.badRequest("'limit' must be an integer from 1 to " + MAX_REQUESTS_LIMIT + ", got '" + q + "'", "limit");
      }
    }
    send(ctx, 200, view.requests(limit));
  }

  static ObjectNode obj() {
    return StatsView.MAPPER.createObjectNode();
  }

  static void send(RoutingContext ctx, int status, JsonNode body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toString());
  }

  /** Loads the OpenAPI document shipped next to this class. */
  static final class OpenApiDocument {
    private OpenApiDocument() {}

    static String text() {
      try (InputStream in = AdminApi.class.getResourceAsStream("openapi.json")) {
        if (in == null) {
          throw new IllegalStateException("openapi.json missing from the jar");
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read openapi.json", e);
      }
    }
  }
}
