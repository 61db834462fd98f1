package io.stc.traffic;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/** A Vert.x HTTP server on a free loopback port for the load generator tests. */
final class TargetServer implements AutoCloseable {
  final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
  final AtomicLong received = new AtomicLong();
  /** Connections accepted over the server's life. */
  final AtomicInteger accepted = new AtomicInteger();
  /** Connections open now, and the most open at once. */
  final AtomicInteger open = new AtomicInteger();
  final AtomicInteger peakOpen = new AtomicInteger();
  private final HttpServer server;

  /** {@code handler} gets each request with its 1-based arrival number and must answer it. */
  TargetServer(BiConsumer<HttpServerRequest, Long> handler) throws Exception {
    server = vertx.createHttpServer()
        .connectionHandler(c -> {
          accepted.incrementAndGet();
          peakOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
          c.closeHandler(v -> open.decrementAndGet());
        })
        .requestHandler(req -> handler.accept(req, received.incrementAndGet()))
        .listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A server answering 200 "ok" to everything after {@code millis}, on a timer. */
  static TargetServer slow(long millis) throws Exception {
    TargetServer[] ref = new TargetServer[1];
    ref[0] = new TargetServer((req, n) -> {
      int now = ref[0].inFlight.incrementAndGet();
      ref[0].peakInFlight.accumulateAndGet(now, Math::max);
      ref[0].vertx.setTimer(millis, id -> {
        ref[0].inFlight.decrementAndGet();
        req.response().end("ok");
      });
    });
    return ref[0];
  }

  /** Requests a {@link #slow} server holds now, and the most it held at once. */
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger peakInFlight = new AtomicInteger();

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
