package io.stc.scale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A small client of the Docker Engine API (v1.41, which podman's compatible service also serves)
 * over its unix socket or TCP, on a Vert.x HTTP client: only the calls the docker provider makes.
 * Every call completes with the parsed JSON answer, or fails with an {@link EngineError} that
 * carries the engine's own message.
 */
final class DockerEngine implements AutoCloseable {
  static final String API = "/v1.41";
  static final String DEFAULT_SOCKET = "unix:///var/run/docker.sock";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  /** The engine refused a call (its status and message), or could not be reached. */
  static final class EngineError extends IOException {
    final int status;

    EngineError(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private final String address;
  private final SocketAddress server;
  private final String hostHeader;
  private final Vertx vertx;
  private final HttpClient client;

  private DockerEngine(String address, SocketAddress server, String hostHeader) {
    this.address = address;
    this.server = server;
    this.hostHeader = hostHeader;
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    this.client = vertx.createHttpClient(
        new HttpClientOptions().setConnectTimeout(5000).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(8));
  }

  /**
   * The engine at {@code address} ({@code unix:///path} or {@code tcp://host:port}); null: the
   * {@code DOCKER_HOST} environment variable, else {@value #DEFAULT_SOCKET}.
   */
  static DockerEngine at(String address) {
    String a = address != null ? address : System.getenv().getOrDefault("DOCKER_HOST", DEFAULT_SOCKET);
    if (a.startsWith("unix://")) {
      return new DockerEngine(a, SocketAddress.domainSocketAddress(a.substring("unix://".length())), "localhost");
    }
    if (a.startsWith("tcp://") || a.startsWith("http://")) {
      URI u = URI.create(a.replaceFirst("^tcp://", "http://"));
      if (u.getHost() == null || u.getPort() < 0) {
        throw new IllegalArgumentException("Docker engine address '" + a + "' has no host:port");
      }
      if ("1".equals(System.getenv("DOCKER_TLS_VERIFY")) && address == null) {
        throw new IllegalArgumentException("DOCKER_TLS_VERIFY is set, but stc speaks only plain HTTP to the Docker API; "
            + "use the engine's unix socket (autoscale.provider.engine: unix:///var/run/docker.sock)");
      }
      return new DockerEngine(a, SocketAddress.inetSocketAddress(u.getPort(), u.getHost()), u.getHost() + ":" + u.getPort());
    }
    throw new IllegalArgumentException("Docker engine address '" + a + "': expected unix:///path or tcp://host:port");
  }

  /** Where the engine is, for messages. */
  String address() {
    return address;
  }

  /** A call with a JSON body (or none) answered with JSON (or nothing: a missing node). */
  CompletableFuture<JsonNode> call(HttpMethod method, String path, JsonNode body) {
    return call(method, path, body, CALL_TIMEOUT);
  }

  /** As {@link #call(HttpMethod, String, JsonNode)}, for a call the engine may take up to {@code timeout} to answer. */
  CompletableFuture<JsonNode> call(HttpMethod method, String path, JsonNode body, Duration timeout) {
    return raw(method, path, body, timeout).thenApply(b -> parse(b.toString(StandardCharsets.UTF_8)));
  }

  /** The answer's bytes as they are (logs, progress streams). */
  CompletableFuture<Buffer> raw(HttpMethod method, String path, JsonNode body, Duration timeout) {
    RequestOptions options = new RequestOptions()
        .setServer(server)
        .setHost(hostHeader)
        .setMethod(method)
        .setURI(API + path)
        .setIdleTimeout(timeout.toMillis());
    Future<Buffer> answer = client.request(options).compose(req -> {
      req.putHeader("Accept", "application/json");
      if (body == null) {
        return req.send();
      }
      req.putHeader("Content-Type", "application/json");
      return req.send(body.toString());
    }).compose(resp -> resp.body().compose(b -> {
      if (resp.statusCode() >= 200 && resp.statusCode() < 300 || resp.statusCode() == 304) {
        return Future.succeededFuture(b);
      }
      return Future.failedFuture(new EngineError(resp.statusCode(),
          method + " " + path + ": " + resp.statusCode() + " " + message(b.toString(StandardCharsets.UTF_8))));
    }));
    CompletableFuture<Buffer> out = new CompletableFuture<>();
    answer.onComplete(r -> {
      if (r.succeeded()) {
        out.complete(r.result());
      } else if (r.cause() instanceof EngineError e) {
        out.completeExceptionally(e);
      } else {
        out.completeExceptionally(new EngineError(0, "cannot reach the Docker engine at " + address + ": " + describe(r.cause())));
      }
    });
    return out;
  }

  private static JsonNode parse(String text) {
    if (text.isBlank()) {
      return MissingNode.getInstance();
    }
    try {
      return MAPPER.readTree(text);
    } catch (IOException e) {
      // A stream of JSON objects (pull progress) or plain text: kept as text.
      return MAPPER.getNodeFactory().textNode(text);
    }
  }

  /** The engine's {"message": ...}, or the body as it came. */
  private static String message(String body) {
    try {
      JsonNode n = MAPPER.readTree(body);
      if (n != null && n.hasNonNull("message")) {
        return n.get("message").asText();
      }
    } catch (IOException e) {
      // Not JSON: the text itself says it.
    }
    return body.strip();
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    if (m == null) {
      return t.getClass().getSimpleName();
    }
    if (m.contains("No such file or directory") || m.contains("Connection refused") || m.contains("connection refused")) {
      return "no engine is listening there (is Docker, or `podman system service`, running? set DOCKER_HOST or autoscale.provider.engine)";
    }
    return m;
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    try {
      client.close().await(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Going away anyway.
    }
    try {
      vertx.close().await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Going away anyway.
    }
  }
}
