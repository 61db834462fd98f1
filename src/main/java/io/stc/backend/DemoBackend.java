package io.stc.backend;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A demo HTTP backend on its own Vert.x instance, started in-process by tests and by {@code stc backend}.
 *
 * <p>Normal paths answer a small JSON echo after the configured delay; {@code /health},
 * {@code /control/fail|recover}, {@code /bytes/N} and {@code /headers} exist for testing a proxy.
 */
public final class DemoBackend implements AutoCloseable {
  private static final long START_TIMEOUT_SECONDS = 30;

  private final BackendOptions options;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Vertx vertx;
  private volatile HttpServer server;
  private volatile String name;

  public DemoBackend(BackendOptions options) {
    this.options = options;
  }

  /** Starts a backend with these options and returns it once it is listening. */
  public static DemoBackend started(BackendOptions options) {
    DemoBackend backend = new DemoBackend(options);
    backend.start();
    return backend;
  }

  /**
   * Binds and blocks until the server listens.
   *
   * @return the actual port
   * @throws BackendStartException when the address cannot be bound
   */
  public int start() {
    if (vertx != null) {
      throw new IllegalStateException("backend already started");
    }
    vertx = Vertx.vertx();
    HttpServerOptions serverOptions =
        new HttpServerOptions()
            .setHost(options.host())
            .setPort(options.port())
            // curl and many clients send "Expect: 100-continue" before an upload.
            .setHandle100ContinueAutomatically(true)
            // No narrower than stc in front of it (limits.header_size): what stc lets through, this takes.
            .setMaxHeaderSize(64 * 1024);
    try {
      server =
          vertx
              .createHttpServer(serverOptions)
              .requestHandler(new DemoRequestHandler(this, vertx))
              // WebSocket echo on /ws, for trying WebSocket through a proxy.
              .webSocketHandler(ws -> {
                if (!"/ws".equals(ws.path())) {
                  ws.close((short) 1008, "no WebSocket here; use /ws");
                  return;
                }
                ws.textMessageHandler(ws::writeTextMessage);
                ws.binaryMessageHandler(ws::writeBinaryMessage);
              })
              .listen()
              .toCompletionStage()
              .toCompletableFuture()
              .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      close();
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new BackendStartException(
          "cannot listen on " + options.host() + ":" + options.port() + ": " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      close();
      Thread.currentThread().interrupt();
      throw new BackendStartException("interrupted while starting", e);
    }
    name = options.name() != null ? options.name() : "backend-" + server.actualPort();
    return server.actualPort();
  }

  /** Stops the server and its Vert.x instance; safe to call more than once. */
  @Override
  public void close() {
    Vertx v = vertx;
    if (v == null || !closed.compareAndSet(false, true)) {
      return;
    }
    try {
      v.close().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // Best effort: a backend that does not close in time is abandoned, its threads die with the JVM.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The port it listens on; only valid after {@link #start()}. */
  public int port() {
    return server.actualPort();
  }

  public String host() {
    return options.host();
  }

  /** The name reported in replies; only valid after {@link #start()}. */
  public String name() {
    return name;
  }

  public BackendOptions options() {
    return options;
  }

  /** How many requests it has answered on normal paths (not health, control or 503 rejections). */
  public long requests() {
    return requests.get();
  }

  /** How many normal requests are being served right now. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Whether it is in failure mode, answering 503 everywhere but {@code /control}. */
  public boolean failing() {
    return failing.get();
  }

  /** Enters failure mode, as {@code POST /control/fail} does. */
  public void fail() {
    failing.set(true);
  }

  /** Leaves failure mode, as {@code POST /control/recover} does. */
  public void recover() {
    failing.set(false);
  }

  /** Takes one in-flight slot; false when the backend is at capacity. */
  boolean tryAcquire() {
    int capacity = options.maxInflight();
    if (capacity == 0) {
      inFlight.incrementAndGet();
      return true;
    }
    while (true) {
      int now = inFlight.get();
      if (now >= capacity) {
        return false;
      }
      if (inFlight.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  void release() {
    inFlight.decrementAndGet();
  }

  /** Counts one answered request and returns the new total. */
  long countAnswer() {
    return requests.incrementAndGet();
  }
}
