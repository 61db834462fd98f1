package io.stc.admin;

import io.stc.Clock;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-origin access to the admin listener: the configured origins (or any, for {@code *}) get
 * CORS headers and preflight answers; same-origin requests (the dashboard's own scripts, which
 * browsers send with an Origin) pass untouched; the dashboard's files are served to anyone; any
 * other origin gets 403 without CORS headers, logged at most once a minute so nobody can fill the
 * log with it.
 */
final class CorsPolicy {
  private static final Logger log = LoggerFactory.getLogger(CorsPolicy.class);
  private static final long LOG_EVERY_NANOS = 60_000_000_000L;
  private static final String METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
  private static final String HEADERS = "Authorization, Content-Type";

  private final List<String> origins;
  private final boolean any;
  private final Clock clock;
  private final AtomicLong lastLogged = new AtomicLong(Long.MIN_VALUE);

  CorsPolicy(List<String> origins, Clock clock) {
    this.origins = origins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
    this.any = origins.contains("*");
    this.clock = clock;
  }

  void handle(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String origin = req.getHeader("Origin");
    if (origin == null || sameOrigin(origin, req)) {
      ctx.next();
      return;
    }
    HttpServerResponse res = ctx.response();
    res.headers().add("Vary", "Origin");
    if (any || origins.contains(origin.toLowerCase(Locale.ROOT))) {
      res.putHeader("Access-Control-Allow-Origin", origin);
      if (req.method() == HttpMethod.OPTIONS && req.getHeader("Access-Control-Request-Method") != null) {
        res.putHeader("Access-Control-Allow-Methods", METHODS)
            .putHeader("Access-Control-Allow-Headers", HEADERS)
            .putHeader("Access-Control-Max-Age", "600")
            .setStatusCode(204)
            .end();
        return;
      }
      ctx.next();
      return;
    }
    if (req.method() == HttpMethod.GET && Dashboard.isDashboardPath(ctx.normalizedPath())) {
      // The files are public; without CORS headers a foreign page still cannot read them.
      ctx.next();
      return;
    }
    long now = clock.nanos();
    long last = lastLogged.get();
    if ((last == Long.MIN_VALUE || now - last >= LOG_EVERY_NANOS) && lastLogged.compareAndSet(last, now)) {
      log.warn("admin request from origin {} refused (not in admin.cors_origins); further refusals are not logged for a minute",
          printable(origin));
    }
    AdminServer.error(ctx, 403, "origin not allowed: " + printable(origin), null);
  }

  /** Whether {@code origin} is this listener itself, as the Host header names it. */
  private static boolean sameOrigin(String origin, HttpServerRequest req) {
    String host = req.getHeader("Host");
    if (host == null) {
      return false;
    }
    String scheme = req.isSSL() ? "https://" : "http://";
    return origin.equalsIgnoreCase(scheme + host);
  }

  private static String printable(String s) {
    String t = s.length() > 100 ? s.substring(0, 100) + "..." : s;
    return t.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
