package io.stc.testing;

import io.stc.config.StcConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A loopback backend that speaks raw bytes, one connection at a time: answers each connection's
 * first request with canned bytes (well-formed or not) and records the request as it arrived.
 */
public final class RawBackend implements AutoCloseable {
  private final ServerSocket server;
  private final CompletableFuture<Void> loop;
  /** Every request received, as bytes in ISO-8859-1. */
  public final List<String> received = new CopyOnWriteArrayList<>();

  /** Answers once the request head is in; holds the connection open afterwards, as keep-alive servers do. */
  public RawBackend(Function<String, String> reply) throws IOException {
    this(reply, r -> r.contains("\r\n\r\n"), false);
  }

  /**
   * @param complete says when the bytes so far are the whole request
   * @param closeAfterReply close right after answering (a response delimited by the close)
   */
  public RawBackend(Function<String, String> reply, Predicate<String> complete, boolean closeAfterReply) throws IOException {
    this(reply, complete, closeAfterReply, null, null);
  }

  /**
   * Answers in two parts: {@code reply}, then {@code rest} once {@code gate} completes (so a test
   * can see the first part arrive before the second is sent), then closes.
   */
  public RawBackend(Function<String, String> reply, String rest, CompletableFuture<Void> gate) throws IOException {
    this(reply, r -> r.contains("\r\n\r\n"), true, rest, gate);
  }

  private RawBackend(
      Function<String, String> reply, Predicate<String> complete, boolean closeAfterReply, String rest,
      CompletableFuture<Void> gate) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.loop = CompletableFuture.runAsync(() -> serve(reply, complete, closeAfterReply, rest, gate));
  }

  public int port() {
    return server.getLocalPort();
  }

  /** A config in which the raw backend alone decides outcomes: no probes, retries or breakers. */
  public static StcConfig alone(StcConfig c) {
    StcConfig.Health h = c.health();
    StcConfig.CircuitBreakerConfig b = c.circuitBreaker();
    return c.withHealth(new StcConfig.Health(false, h.path(), h.interval(), h.timeout(), h.rise(), h.fall()))
        .withRetries(0)
        .withCircuitBreaker(new StcConfig.CircuitBreakerConfig(false, b.failureThreshold(), b.openTime(),
            b.halfOpenRequests(), b.maxOpenTime(), b.count5xx(), b.maxEjectionPercent()));
  }

  private void serve(
      Function<String, String> reply, Predicate<String> complete, boolean closeAfterReply, String rest,
      CompletableFuture<Void> gate) {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        s.setSoTimeout(5_000);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while (!complete.test(request.toString(StandardCharsets.ISO_8859_1)) && (n = in.read(buf)) > 0) {
          request.write(buf, 0, n);
        }
        String r = request.toString(StandardCharsets.ISO_8859_1);
        received.add(r);
        s.getOutputStream().write(reply.apply(r).getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        if (gate != null) {
          gate.get(10, TimeUnit.SECONDS);
          s.getOutputStream().write(rest.getBytes(StandardCharsets.ISO_8859_1));
          s.getOutputStream().flush();
        }
        if (closeAfterReply) {
          continue;
        }
        // Anything more is ignored until the proxy closes: one answer per connection.
        while (in.read(buf) > 0) {
          // drain
        }
      } catch (Exception e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    loop.join();
  }
}
