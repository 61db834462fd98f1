package io.stc.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * {@code POST /api/test-requests {"count": 10, "path": "/"}}: the dashboard's test panel (seed
 * 001's "send 10"). Sends the requests through the data plane, ten at a time, and answers with
 * each one's backend, status and latency, in the order they were sent.
 */
final class TestRequests {
  static final int MAX_COUNT = 100;
  static final int CONCURRENCY = 10;
  // A request target a client could send as is: no spaces, controls or fragment.
  private static final Pattern PATH = Pattern.compile("/[\\x21-\\x7e&&[^#]]{0,2047}");

  private final DataPlaneClient dataPlane;

  TestRequests(DataPlaneClient dataPlane) {
    this.dataPlane = dataPlane;
  }

  void handle(RoutingContext ctx) {
    JsonBody body = JsonBody.parse(ctx.body().asString(), "count", "path");
    int count = body.requireInt("count", 1, MAX_COUNT);
    String path = body.has("path") ? body.requireString("path") : "/";
    if (!PATH.matcher(path).matches()) {
      throw ApiError.badRequest("'path' must start with / and hold no spaces, controls or '#' (at most 2048 characters), got '"
          + path + "'", "path");
    }
    List<DataPlaneClient.Answer> answers = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      answers.add(null);
    }
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> workers = new ArrayList<>();
    for (int w = 0; w < Math.min(count, CONCURRENCY); w++) {
      Promise<Void> done = Promise.promise();
      sendNext(path, answers, next, done);
      workers.add(done.future());
    }
    Future.all(workers).onComplete(v -> AdminApi.send(ctx, 200, render(path, answers)));
  }

  /** Each worker sends one request at a time until every index is claimed. */
  private void sendNext(String path, List<DataPlaneClient.Answer> answers, AtomicInteger next, Promise<Void> done) {
    int i = next.getAndIncrement();
    if (i >= answers.size()) {
      done.complete();
      return;
    }
    dataPlane.send(HttpMethod.GET, path, null, null).onComplete(r -> {
      synchronized (answers) {
        answers.set(i, r.result());
      }
      sendNext(path, answers, next, done);
    });
  }

  private ObjectNode render(String path, List<DataPlaneClient.Answer> answers) {
    ObjectNode root = AdminApi.obj();
    root.put("path", path);
    root.put("count", answers.size());
    int ok = 0;
    ArrayNode list = root.putArray("requests");
    synchronized (answers) {
      for (int i = 0; i < answers.size(); i++) {
        DataPlaneClient.Answer a = answers.get(i);
        ObjectNode n = list.addObject();
        n.put("n", i + 1);
        if (a.servedBy() == null) {
          n.putNull("backend");
        } else {
          n.put("backend", a.servedBy());
        }
        n.put("status", a.status());
        n.put("latency_ms", StatsView.round(a.latencyNanos() / 1e6, 3));
        if (a.error() != null) {
          n.put("error", a.error());
        } else if (a.status() < 500) {
          ok++;
        }
      }
    }
    root.put("succeeded", ok);
    root.put("failed", answers.size() - ok);
    root.put("served_by_header", dataPlane.servedByHeader() != null);
    return root;
  }
}
