package io.stc.admin;

import io.stc.config.StcConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.TimeUnit;

/**
 * Sends requests through stc's own data plane, as a client would, for the admin's test panel and
 * the predecessors' {@code /api/process}: each answer comes back with the backend that served it
 * (the served-by header) and the latency seen from outside.
 */
final class DataPlaneClient implements AutoCloseable {
  /** What the data plane answered, or why it did not. */
  record Answer(int status, String servedBy, long latencyNanos, Buffer body, String contentType, String error) {
    static Answer failed(String error, long latencyNanos) {
      return new Answer(0, null, latencyNanos, Buffer.buffer(), null, error);
    }
  }

  static final int MAX_BODY = 1024 * 1024;

  private final Vertx vertx;
  private final StcConfig config;
  private final HttpClient client;
  private volatile int port = -1;

  DataPlaneClient(Vertx vertx, StcConfig config) {
    this.vertx = vertx;
    this.config = config;
    HttpClientOptions options = new HttpClientOptions()
        .setConnectTimeout((int) config.timeouts().connect().toMillis() + 1000)
        .setKeepAlive(true);
    if (config.tls().enabled()) {
      // stc's own listener, often with a self-signed certificate: this client only ever talks to it.
      options.setSsl(true).setTrustAll(true).setVerifyHost(false);
    }
    this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(16));
  }

  /** Where the data plane listens, once it does. */
  void port(int port) {
    this.port = port;
  }

  /** The data plane's port, or -1 before it listens. */
  int port() {
    return port;
  }

  /** The served-by header stc adds, or null when it is turned off. */
  String servedByHeader() {
    String h = config.servedByHeader();
    return h == null || h.isBlank() ? null : h;
  }

  /** The address to reach the data plane on: loopback when it listens on every address. */
  String host() {
    String h = config.host();
    if (h.equals("0.0.0.0") || h.isEmpty()) {
      return "127.0.0.1";
    }
    if (h.equals("::") || h.equals("[::]")) {
      return "::1";
    }
    return h;
  }

  /** One request; never fails: a refused connection or a timeout is an answer with an error. */
  Future<Answer> send(HttpMethod method, String uri, MultiMap headers, Buffer body) {
    int p = port;
    long start = System.nanoTime();
    if (p < 0) {
      return Future.succeededFuture(Answer.failed("the data plane is not listening yet", 0));
    }
    RequestOptions options = new RequestOptions()
        .setMethod(method)
        .setHost(host())
        .setPort(p)
        .setURI(uri)
        .setIdleTimeout(config.timeouts().response().toMillis() + 5000);
    if (headers != null) {
      options.setHeaders(headers);
    }
    String servedBy = servedByHeader();
    return client.request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> new Answer(
            resp.statusCode(), servedBy == null ? null : resp.getHeader(servedBy), System.nanoTime() - start,
            b.length() > MAX_BODY ? b.getBuffer(0, MAX_BODY) : b, resp.getHeader("Content-Type"), null)))
        .otherwise(e -> Answer.failed(describe(e), System.nanoTime() - start));
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    if (m != null && m.contains("Connection refused")) {
      return "connection refused";
    }
    return m == null ? e.getClass().getSimpleName() : m;
  }

  @Override
  public void close() {
    try {
      client.close().await(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Closing on the way out: nothing left to tell.
    }
  }

  Vertx vertx() {
    return vertx;
  }
}
