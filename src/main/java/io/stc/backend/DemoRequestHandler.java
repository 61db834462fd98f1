package io.stc.backend;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/** Routes the requests of a {@link DemoBackend}: test endpoints first, then the delayed JSON echo. */
final class DemoRequestHandler implements Handler<HttpServerRequest> {
  private static final String CONTROL = "/control/";
  private static final String BYTES = "/bytes/";

  private final DemoBackend backend;
  private final Vertx vertx;

  DemoRequestHandler(DemoBackend backend, Vertx vertx) {
    this.backend = backend;
    this.vertx = vertx;
  }

  @Override
  public void handle(HttpServerRequest req) {
    // A client that hangs up mid-request is normal here; without handlers Vert.x logs each one.
    req.exceptionHandler(e -> {});
    req.response().exceptionHandler(e -> {});
    String path = req.path();
    if (path.startsWith(CONTROL)) {
      control(req, path.substring(CONTROL.length()));
    } else if (backend.failing()) {
      json(req.response(), 503, base().put("status", "DOWN").put("error", "failure mode"));
    } else if (path.equals("/health")) {
      long requests = backend.requests();
      // port and request_count: what seed 004's test server answered, for its scripts.
      json(req.response(), 200, base().put("status", "UP").put("requests", requests).put("inFlight", backend.inFlight())
          .put("port", backend.port()).put("request_count", requests));
    } else if (!backend.tryAcquire()) {
      json(req.response(), 503, base().put("error", "over capacity").put("capacity", backend.options().maxInflight()));
    } else {
      releaseWhenDone(req.response());
      if (path.startsWith(BYTES)) {
        bytes(req, path.substring(BYTES.length()));
      } else if (path.equals("/headers")) {
        headers(req);
      } else {
        echo(req);
      }
    }
  }

  private void control(HttpServerRequest req, String action) {
    if (!action.equals("fail") && !action.equals("recover")) {
      json(req.response(), 404, base().put("error", "unknown control action, use /control/fail or /control/recover"));
      return;
    }
    if (req.method() != HttpMethod.POST) {
      req.response().putHeader(HttpHeaders.ALLOW, "POST");
      json(req.response(), 405, base().put("error", "use POST"));
      return;
    }
    if (action.equals("fail")) {
      backend.fail();
    } else {
      backend.recover();
    }
    json(req.response(), 200, base().put("failing", backend.failing()));
  }

  private void bytes(HttpServerRequest req, String count) {
    long n;
    try {
      n = Long.parseLong(count);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 0) {
      json(req.response(), 400, base().put("error", "/bytes/N needs a byte count N >= 0, got '" + count + "'"));
      return;
    }
    backend.countAnswer();
    BytesResponse.send(req.response(), n);
  }

  private void headers(HttpServerRequest req) {
    Map<String, List<String>> byName = new TreeMap<>();
    req.headers().forEach(e -> byName.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(e.getValue()));
    JsonObject body = new JsonObject();
    byName.forEach((k, values) -> body.put(k, String.join(", ", values)));
    backend.countAnswer();
    json(req.response(), 200, body);
  }

  private void echo(HttpServerRequest req) {
    Double delayOverride;
    Integer status;
    try {
      delayOverride = delayParam(req.getParam("delay"));
      status = statusParam(req.getParam("status"));
    } catch (IllegalArgumentException e) {
      json(req.response(), 400, base().put("error", e.getMessage()));
      return;
    }
    // Counted as they stream in and then dropped, so an upload of any size needs no heap.
    long[] received = {0};
    req.handler(chunk -> received[0] += chunk.length());
    req.endHandler(
        v -> {
          double seconds = delayOverride != null ? delayOverride : configuredDelay();
          if (delayOverride == null && backend.options().modelled()) {
            // What the instance model made of this request, for whoever compares a run with its simulation.
            req.response().putHeader("X-Service-Time", String.format(java.util.Locale.ROOT, "%.4f", seconds));
          }
          long millis = Math.round(1000 * seconds);
          if (millis <= 0) {
            answer(req, status, received[0]);
          } else {
            vertx.setTimer(millis, id -> answer(req, status, received[0]));
          }
        });
  }

  private void answer(HttpServerRequest req, Integer status, long received) {
    HttpServerResponse response = req.response();
    if (response.closed()) {
      return;
    }
    int code;
    if (status != null) {
      code = status;
    } else {
      code = ThreadLocalRandom.current().nextDouble() < backend.options().errorRate() ? 500 : 200;
    }
    JsonObject body = base().put("method", req.method().name()).put("path", req.path());
    long count = backend.countAnswer();
    body.put("requests", count).put("received", received);
    // Seed 004's test server's fields, which its load_test.py groups answers by.
    body.put("server_port", backend.port()).put("request_count", count)
        .put("message", "Hello from server on port " + backend.port() + "!");
    // Which HTTP the request came in over (h2 or http/1.1): what a proxy in front speaks to this backend.
    body.put("version", req.version().alpnName());
    if (code == 500 && status == null) {
      body.put("error", "injected failure");
    }
    if (code == 204 || code == 304) {
      // These statuses forbid a body.
      response.setStatusCode(code).end();
    } else {
      json(response, code, body);
    }
  }

  private double configuredDelay() {
    BackendOptions o = backend.options();
    if (o.modelled()) {
      // This request is in flight already: the others are the rest.
      return InstanceModel.serviceTime(o.serviceSeconds(), backend.inFlight() - 1, o.capacity(),
          o.noise().draw(ThreadLocalRandom.current().nextDouble()));
    }
    double noise = o.jitterSeconds() == 0 ? 0 : (ThreadLocalRandom.current().nextDouble() * 2 - 1) * o.jitterSeconds();
    return Math.max(0, o.delaySeconds() + noise);
  }

  private static Double delayParam(String value) {
    if (value == null) {
      return null;
    }
    try {
      double seconds = Double.parseDouble(value);
      if (seconds >= 0 && seconds <= 86_400) {
        return seconds;
      }
    } catch (NumberFormatException e) {
      // Falls through to the one error message below.
    }
    throw new IllegalArgumentException("?delay must be seconds between 0 and 86400, got '" + value + "'");
  }

  private static Integer statusParam(String value) {
    if (value == null) {
      return null;
    }
    try {
      int code = Integer.parseInt(value);
      if (code >= 200 && code <= 599) {
        return code;
      }
    } catch (NumberFormatException e) {
      // Falls through to the one error message below.
    }
    throw new IllegalArgumentException("?status must be an HTTP status between 200 and 599, got '" + value + "'");
  }

  private void releaseWhenDone(HttpServerResponse response) {
    AtomicBoolean released = new AtomicBoolean();
    Handler<Void> release = v -> {
      if (released.compareAndSet(false, true)) {
        backend.release();
      }
    };
    response.endHandler(release);
    response.closeHandler(release);
  }

  private JsonObject base() {
    return new JsonObject().put("server", backend.name());
  }

  private static void json(HttpServerResponse response, int status, JsonObject body) {
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }
}
