package io.stc.admin;

import io.stc.config.StcConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP listener: CORS for the configured origins, bearer-token auth when a token is set
 * (all but {@code GET /health}, {@code GET /metrics} and the dashboard's files), the web dashboard,
 * JSON errors for everything that goes wrong.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  static final int BODY_LIMIT = 64 * 1024;

  private final Vertx vertx;
  private final StcConfig.Admin config;
  private final Router router;
  private HttpServer server;

  public AdminServer(Vertx vertx, StcConfig.Admin config, AdminApi api) {
    this.vertx = vertx;
    this.config = config;
    this.router = router(vertx, config, api);
  }

  /**
   * Refuses an admin listener reachable from other machines without a token.
   *
   * @throws IllegalArgumentException naming the problem and the fix
   */
  public static void checkExposure(StcConfig.Admin admin) {
    if (!admin.enabled() || admin.token() != null) {
      return;
    }
    boolean loopback;
    try {
      loopback = InetAddress.getByName(admin.host()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("admin host '" + admin.host() + "' does not resolve");
    }
    if (!loopback) {
      throw new IllegalArgumentException(
          "the admin listener on " + admin.host() + " would be reachable from other machines without a token; "
              + "set admin.token (or the STC_ADMIN_TOKEN environment variable), or keep --admin-host on 127.0.0.1");
    }
  }

  static Router router(Vertx vertx, StcConfig.Admin config, AdminApi api) {
    Router r = Router.router(vertx);
    if (!config.corsOrigins().isEmpty()) {
      CorsPolicy cors = new CorsPolicy(config.corsOrigins(), io.stc.Clock.SYSTEM);
      r.route().handler(cors::handle);
    }
    if (config.token() != null) {
      byte[] expected = ("Bearer " + config.token()).getBytes(StandardCharsets.UTF_8);
      r.route().handler(ctx -> authorize(ctx, expected));
    }
    r.route().handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
    api.mount(r);
    new Dashboard().mount(r);
    r.route().failureHandler(AdminServer::failure);
    for (int status : new int[] {400, 404, 405, 413, 500}) {
      r.errorHandler(status, AdminServer::failure);
    }
    return r;
  }

  private static void authorize(RoutingContext ctx, byte[] expected) {
    HttpMethod m = ctx.request().method();
    // The path the router matches on: a raw "/assets/../api/stats" must not pass as a dashboard file.
    String path = ctx.normalizedPath();
    if (m == HttpMethod.GET && (path.equals("/health") || path.equals("/metrics") || Dashboard.isDashboardPath(path))) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    // Constant-time comparison so the token cannot be guessed byte by byte from response times.
    if (header != null && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8))) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"stc\"");
    error(ctx, 401, header == null ? "missing Authorization: Bearer <token>" : "invalid token", null);
  }

  private static void failure(RoutingContext ctx) {
    Throwable t = ctx.failure();
    if (t instanceof ApiError e) {
      error(ctx, e.status(), e.getMessage(), e.field());
    } else if (t == null) {
      int code = ctx.statusCode();
      String message = switch (code) {
        case 405 -> "method " + ctx.request().method() + " not allowed on " + ctx.request().path();
        case 400 -> "bad request";
        case 413 -> "request body larger than " + BODY_LIMIT + " bytes";
        case 404 -> "no such route: " + ctx.request().method() + " " + ctx.request().path();
        default -> "request failed";
      };
      error(ctx, code < 400 ? 500 : code, message, null);
    } else {
      log.error("admin {} {} failed", ctx.request().method(), ctx.request().path(), t);
      error(ctx, 500, "internal error: " + t.getClass().getSimpleName(), null);
    }
  }

  static void error(RoutingContext ctx, int status, String message, String field) {
    if (ctx.response().ended()) {
      return;
    }
    var body = AdminApi.obj().put("error", message);
    if (field != null) {
      body.put("field", field);
    }
    AdminApi.send(ctx, status, body);
  }

  /** Binds the listener; returns its port. */
  public int start() throws Exception {
    server = vertx.createHttpServer(new HttpServerOptions().setHost(config.host()).setPort(config.port()))
        .requestHandler(req -> {
          // Vert.x's router answers a path with a broken %-escape with a bare 500 before any handler
          // runs; it is the client's mistake.
          if (hasBrokenEscape(req.path())) {
            req.response().setStatusCode(400).putHeader("Content-Type", "application/json")
                .end(AdminApi.obj().put("error", "malformed percent-encoding in the path").toString());
            return;
          }
          router.handle(req);
        })
        .listen()
        .await(10, TimeUnit.SECONDS);
    int port = server.actualPort();
    log.info("admin listener on {}:{}{}", config.host(), port, config.token() != null ? " (token required)" : "");
    return port;
  }

  /** Whether a '%' in {@code path} is not followed by two hex digits. */
  static boolean hasBrokenEscape(String path) {
    if (path == null) {
      return false;
    }
    for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
      if (i + 2 >= path.length() || Character.digit(path.charAt(i + 1), 16) < 0 || Character.digit(path.charAt(i + 2), 16) < 0) {
        return true;
      }
    }
    return false;
  }

  public Router router() {
    return router;
  }

  @Override
  public void close() throws Exception {
    if (server != null) {
      // Once: a handoff closes it early, the stop later.
      var closing = server;
      server = null;
      closing.close().await(5, TimeUnit.SECONDS);
    }
  }
}
