package io.stc.admin;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.zip.GZIPOutputStream;

/**
 * The web dashboard: its page at {@code /} and its scripts, styles and Chart.js under
 * {@code /assets/}, all read from the jar once, gzipped when the browser accepts it, revalidated by
 * ETag. Only the files named here are served, so no request path ever reaches the class path.
 */
final class Dashboard {
  static final String INDEX = "index.html";
  static final String CHART_JS = "chart.umd.min.js";
  /** The page's own files, next to this class under {@code dashboard/}. */
  static final String[] OWN_FILES = {
    INDEX, "style.css", "app.js", "api.js", "stream.js", "history.js", "charts.js", "tables.js", "controls.js",
    "format.js", "toast.js", "testpanel.js"
  };
  private static final String WEBJAR = "META-INF/resources/webjars/chart.js/";
  private static final String WEBJAR_VERSION = "META-INF/maven/org.webjars.npm/chart.js/pom.properties";
  // Everything is same-origin; Chart.js sets canvas sizes through the CSSOM, which style-src does not restrict.
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final Map<String, Asset> assets = new LinkedHashMap<>();

  Dashboard() {
    ClassLoader loader = Dashboard.class.getClassLoader();
    for (String name : OWN_FILES) {
      assets.put(name, Asset.of(name, read(loader, "io/stc/admin/dashboard/" + name)));
    }
    assets.put(CHART_JS, Asset.of(CHART_JS, read(loader, WEBJAR + chartJsVersion(loader) + "/dist/" + CHART_JS)));
  }

  /** Adds {@code GET /} and {@code GET /assets/:file}. */
  void mount(Router router) {
    router.get("/").handler(ctx -> serve(ctx, assets.get(INDEX)));
    router.get("/assets/:file").handler(ctx -> {
      Asset a = ctx.pathParam("file").equals(INDEX) ? null : assets.get(ctx.pathParam("file"));
      if (a == null) {
        throw ApiError.notFound("no such dashboard file: " + ctx.pathParam("file"));
      }
      serve(ctx, a);
    });
  }

  /** Whether {@code path} is one of the dashboard's, which need no token: they hold no data, only the page that asks for it. */
  static boolean isDashboardPath(String path) {
    return path.equals("/") || path.startsWith("/assets/");
  }

  private static void serve(RoutingContext ctx, Asset a) {
    var response = ctx.response()
        .putHeader("Content-Type", a.contentType)
        .putHeader("ETag", a.etag)
        .putHeader("Cache-Control", "no-cache")
        .putHeader("Vary", "Accept-Encoding")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    if (a.contentType.startsWith("text/html")) {
      response.putHeader("Content-Security-Policy", CSP);
    }
    String known = ctx.request().getHeader("If-None-Match");
    if (known != null && known.equals(a.etag)) {
      response.setStatusCode(304).end();
      return;
    }
    String accept = ctx.request().getHeader("Accept-Encoding");
    if (accept != null && accept.contains("gzip")) {
      response.putHeader("Content-Encoding", "gzip").end(a.gzipped);
    } else {
      response.end(a.plain);
    }
  }

  private static String chartJsVersion(ClassLoader loader) {
    Properties p = new Properties();
    try (InputStream in = loader.getResourceAsStream(WEBJAR_VERSION)) {
      if (in == null) {
        throw new IllegalStateException("the Chart.js WebJar is missing from the class path (" + WEBJAR_VERSION + ")");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  private static byte[] read(ClassLoader loader, String resource) {
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("dashboard file missing from the jar: " + resource);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One file as served: both encodings and the tag that names its content. */
  private record Asset(String contentType, String etag, Buffer plain, Buffer gzipped) {
    static Asset of(String name, byte[] bytes) {
      return new Asset(contentType(name), etag(bytes), Buffer.buffer(bytes), Buffer.buffer(gzip(bytes)));
    }

    private static String contentType(String name) {
      if (name.endsWith(".html")) {
        return "text/html; charset=utf-8";
      }
      if (name.endsWith(".css")) {
        return "text/css; charset=utf-8";
      }
      if (name.endsWith(".js")) {
        return "text/javascript; charset=utf-8";
      }
      throw new IllegalArgumentException("no content type for " + name);
    }

    private static String etag(byte[] bytes) {
      try {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
        return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    private static byte[] gzip(byte[] bytes) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3 + 64);
      try (GZIPOutputStream z = new GZIPOutputStream(out)) {
        z.write(bytes);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out.toByteArray();
    }
  }
}
