package io.stc.traffic;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/** A Vert.x HTTP server on a free loopback port for the load generator tests. */
final class TargetServer implements AutoCloseable {
  final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
  final AtomicLong received = new AtomicLong();
  private final HttpServer server;

  /** {@code handler} gets each request with its 1-based arrival number and must answer it. */
  TargetServer(BiConsumer<HttpServerRequest, Long> handler) throws Exception {
    server = vertx.createHttpServer()
        .requestHandler(req -> handler.accept(req, received.incrementAndGet()))
        .listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A server answering 200 "ok" to everything. */
  static TargetServer ok() throws Exception {
    return new TargetServer((req, n) -> req.response().end("ok"));
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/";
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
