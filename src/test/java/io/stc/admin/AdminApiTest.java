package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.testing.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdminApiTest {
  static TestCluster cluster;
  static AdminCalls api;
  static final List<DemoBackend> extra = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.of(2, UnaryOperator.identity());
    api = new AdminCalls(cluster.stc.adminPort());
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.upstream().pool().availableCount() == 2);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
    extra.forEach(DemoBackend::close);
  }

  static DemoBackend newBackend(BackendOptions o) {
    DemoBackend b = DemoBackend.started(o);
    extra.add(b);
    return b;
  }

  static String body(String host, int port) {
    return "{\"host\":\"" + host + "\",\"port\":" + port + "}";
  }

  static void assertError(AdminCalls.Reply r, int status, String field) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    JsonNode j = r.json();
    assertThat(j.path("error").asText()).isNotBlank();
    if (field == null) {
      assertThat(j.has("field")).isFalse();
    } else {
      assertThat(j.path("field").asText()).isEqualTo(field);
    }
  }

  @Test
  void statsShowTotalsPercentilesAndHealth() throws Exception {
    for (int i = 0; i < 20; i++) {
      assertThat(cluster.get("/stats-" + i).statusCode()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      JsonNode s = api.get("/api/stats").json();
      assertThat(s.path("totals").path("requests").asLong()).isGreaterThanOrEqualTo(20);
      JsonNode b = s.path("backends").get(0);
      assertThat(b.path("latency_ms").path("p99").asDouble()).isGreaterThan(0);
    });
    JsonNode s = api.get("/api/stats").json();
    assertThat(s.path("algorithm").asText()).isNotBlank();
    assertThat(s.path("uptime_s").asDouble()).isGreaterThanOrEqualTo(0);
    JsonNode t = s.path("totals");
    assertThat(t.path("successes").asLong() + t.path("failures").asLong()).isEqualTo(t.path("requests").asLong());
    assertThat(t.path("rps").has("1s")).isTrue();
    assertThat(t.path("rps").has("10s")).isTrue();
    assertThat(t.path("rps").has("60s")).isTrue();
    JsonNode b = s.path("backends").get(0);
    for (String f : List.of("id", "host", "port", "weight", "state", "in_flight", "requests", "errors", "error_rate")) {
      assertThat(b.has(f)).as(f).isTrue();
    }
    for (String f : List.of("avg", "p50", "p95", "p99")) {
      assertThat(b.path("latency_ms").has(f)).as(f).isTrue();
    }
    assertThat(b.path("last_health_check").path("ok").asBoolean()).isTrue();
    assertThat(b.path("last_health_check").path("detail").asText()).contains("200");
  }

  @Test
  void healthAndReady() {
    assertThat(api.get("/health").json().path("status").asText()).isEqualTo("ok");
    AdminCalls.Reply ready = api.get("/ready");
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().path("ready").asBoolean()).isTrue();
  }

  @Test
  void aBackendOnAUnixSocketIsAddedAndFoundByItsPath(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path socket = dir.resolve("api.sock");
    try (io.stc.testing.UnixHttpServer app = new io.stc.testing.UnixHttpServer(socket)) {
      AdminCalls.Reply added = api.post("/api/backends", "{\"unix\": \"" + socket + "\", \"weight\": 2}");
      assertThat(added.status()).as(added.body()).isEqualTo(201);
      String id = "unix:" + socket;
      assertThat(added.json().path("id").asText()).isEqualTo(id);
      assertThat(added.json().path("port").asInt()).isZero();
      // One path segment: its slashes encoded.
      String segment = id.replace("/", "%2F");
      assertThat(added.headers().firstValue("Location")).contains("/api/backends/" + segment);
      await().atMost(Duration.ofSeconds(10)).until(() -> "up".equals(api.get("/api/backends/" + segment).json().path("state").asText()));
      assertThat(api.patch("/api/backends/" + segment, "{\"state\":\"drain\"}").json().path("state").asText()).isEqualTo("draining");
      assertThat(api.delete("/api/backends/" + segment).status()).isEqualTo(202);
      await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/api/backends/" + segment).status() == 404);
    }
    assertError(api.post("/api/backends", "{\"unix\": \"run/app.sock\"}"), 400, "unix");
    assertError(api.post("/api/backends", "{\"unix\": \"/run/app.sock\", \"host\": \"127.0.0.1\", \"port\": 80}"), 400, "host");
  }

  @Test
  void addPatchAndRemoveABackend() {
    DemoBackend b = newBackend(BackendOptions.defaults().withName("added"));
    String id = "127.0.0.1:" + b.port();
    AdminCalls.Reply added = api.post("/api/backends", "{\"host\":\"127.0.0.1\",\"port\":" + b.port() + ",\"weight\":3}");
    assertThat(added.status()).as(added.body()).isEqualTo(201);
    assertThat(added.json().path("id").asText()).isEqualTo(id);
    assertThat(added.json().path("weight").asInt()).isEqualTo(3);
    assertThat(added.json().path("protocol").asText()).isEqualTo("http1");
    assertThat(added.headers().firstValue("Location")).contains("/api/backends/" + id);
    await().atMost(Duration.ofSeconds(5)).until(() -> "up".equals(api.get("/api/backends/" + id).json().path("state").asText()));

    assertError(api.post("/api/backends", body("127.0.0.1", b.port())), 409, null);
    assertThat(api.get("/api/backends").json().findValuesAsText("id")).contains(id);
    assertThat(api.get("/api/backends/127.0.0.1%3A" + b.port()).status()).isEqualTo(200);

    AdminCalls.Reply w = api.patch("/api/backends/" + id, "{\"weight\": 7}");
    assertThat(w.status()).as(w.body()).isEqualTo(200);
    assertThat(cluster.stc.upstream().pool().find(id).weight()).isEqualTo(7);

    assertThat(added.json().path("backup").asBoolean()).isFalse();
    AdminCalls.Reply backup = api.patch("/api/backends/" + id, "{\"backup\": true}");
    assertThat(backup.json().path("backup").asBoolean()).as(backup.body()).isTrue();
    assertThat(cluster.stc.upstream().pool().standby()).extracting(Backend::id).containsExactly(id);
    assertThat(api.patch("/api/backends/" + id, "{\"backup\": false}").json().path("backup").asBoolean()).isFalse();
    AdminCalls.Reply limited = api.patch("/api/backends/" + id, "{\"max_inflight\": 4}");
    assertThat(limited.json().path("max_inflight").asInt()).as(limited.body()).isEqualTo(4);
    assertThat(cluster.stc.upstream().pool().find(id).maxInflight()).isEqualTo(4);
    assertThat(api.patch("/api/backends/" + id, "{\"max_inflight\": 0}").json().has("max_inflight")).isFalse();
    assertError(api.patch("/api/backends/" + id, "{\"max_inflight\": -1}"), 400, "max_inflight");
    assertThat(api.patch("/api/backends/" + id, "{\"state\":\"drain\"}").json().path("state").asText()).isEqualTo("draining");
    assertThat(api.patch("/api/backends/" + id, "{\"state\":\"up\"}").json().path("state").asText()).isEqualTo("up");

    AdminCalls.Reply del = api.delete("/api/backends/127.0.0.1%3A" + b.port());
    assertThat(del.status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(5)).until(() -> api.get("/api/backends/" + id).status() == 404);
    assertThat(cluster.stc.upstream().pool().find(id)).isNull();
  }

  @Test
  void maintenanceHoldsAgainstPassingHealthChecks() {
    String id = cluster.id(1);
    assertThat(api.patch("/api/backends/" + id, "{\"state\":\"maint\"}").json().path("state").asText()).isEqualTo("maint");
    // Health checks run every 200 ms and the backend is healthy: maintenance must hold through several.
    await().during(Duration.ofMillis(1000)).atMost(Duration.ofSeconds(3))
        .until(() -> cluster.backend(1).state() == BackendState.MAINT);
    assertThat(api.patch("/api/backends/" + id, "{\"state\":\"up\"}").status()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.backend(1).state() == BackendState.UP);
  }

  @Test
  void drainingBeforeRemovalWaitsForInFlightRequests() throws Exception {
    DemoBackend slow = newBackend(BackendOptions.defaults().withName("slow").withDelay(1.5, 0));
    String id = "127.0.0.1:" + slow.port();
    assertThat(api.post("/api/backends", body("127.0.0.1", slow.port())).status()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.stc.upstream().pool().find(id).isAvailable());
    // Only the slow one takes traffic, so the next request goes to it.
    api.patch("/api/backends/" + cluster.id(0), "{\"state\":\"drain\"}");
    api.patch("/api/backends/" + cluster.id(1), "{\"state\":\"drain\"}");
    try {
      CompletableFuture<Integer> inFlight = CompletableFuture.supplyAsync(() -> {
        try {
          return cluster.get("/slow").statusCode();
        } catch (Exception e) {
          return -1;
        }
      });
      await().atMost(Duration.ofSeconds(5)).until(() -> slow.inFlight() == 1);
      assertThat(api.delete("/api/backends/" + id).status()).isEqualTo(202);
      JsonNode b = api.get("/api/backends/" + id).json();
      assertThat(b.path("state").asText()).isEqualTo("draining");
      assertThat(b.path("removing").asBoolean()).isTrue();
      assertError(api.patch("/api/backends/" + id, "{\"weight\":2}"), 409, null);
      assertError(api.post("/api/backends", body("127.0.0.1", slow.port())), 409, null);
      assertThat(inFlight.get()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> api.get("/api/backends/" + id).status() == 404);
    } finally {
      api.patch("/api/backends/" + cluster.id(0), "{\"state\":\"up\"}");
      api.patch("/api/backends/" + cluster.id(1), "{\"state\":\"up\"}");
    }
  }

  @Test
  void badBackendInputIsA400NamingTheField() {
    assertError(api.post("/api/backends", "{\"host\": \"127.0.0.1\", "), 400, null);
    assertError(api.post("/api/backends", ""), 400, null);
    assertError(api.post("/api/backends", "[1,2]"), 400, null);
    assertError(api.post("/api/backends", "{\"port\": 3000}"), 400, "host");
    assertError(api.post("/api/backends", "{\"host\": \"127.0.0.1\"}"), 400, "port");
    assertError(api.post("/api/backends", "{\"host\": \"127.0.0.1\", \"port\": \"abc\"}"), 400, "port");
    assertError(api.post("/api/backends", "{\"host\": \"127.0.0.1\", \"port\": 70000}"), 400, "port");
    assertError(api.post("/api/backends", "{\"host\": \"127.0.0.1\", \"port\": 3000, \"weight\": -1}"), 400, "weight");
    assertError(api.post("/api/backends", "{\"host\": \"127.0.0.1\", \"port\": 3000, \"weight\": 1.5}"), 400, "weight");
    assertError(api.post("/api/backends", "{\"host\": 12, \"port\": 3000}"), 400, "host");
    assertError(api.post("/api/backends", "{\"host\": \"a b/c\", \"port\": 3000}"), 400, "host");
    assertError(api.post("/api/backends", "{\"host\": \" \", \"port\": 3000}"), 400, "host");
    assertError(api.post("/lb/add-server", "{\"host\": \"\", \"port\": 3000}"), 400, "host");
    assertError(api.post("/api/backends", "{\"host\": \"127.0.0.1\", \"port\": 3000, \"colour\": 1}"), 400, "colour");
    assertError(api.post("/api/backends", "{\"host\": \"127.0.0.1\", \"port\": 3000, \"protocol\": \"spdy\"}"), 400, "protocol");
    assertError(api.post("/api/backends", "{\"host\": \"127.0.0.1\", \"port\": 3000, \"backup\": \"true\"}"), 400, "backup");
    // h2 is HTTP/2 over TLS, and this stc speaks cleartext to its backends.
    assertError(api.post("/api/backends", "{\"host\": \"127.0.0.1\", \"port\": 3000, \"protocol\": \"h2\"}"), 400, "protocol");

    String id = cluster.id(0);
    assertError(api.patch("/api/backends/" + id, "{}"), 400, null);
    assertError(api.patch("/api/backends/" + id, "{\"state\": \"sideways\"}"), 400, "state");
    assertError(api.patch("/api/backends/" + id, "{\"state\": 1}"), 400, "state");
    assertError(api.patch("/api/backends/" + id, "{\"backup\": \"yes\"}"), 400, "backup");
    assertError(api.patch("/api/backends/" + id, "{\"weight\": 2, \"backup\": 1}"), 400, "backup");
    assertThat(cluster.backend(0).weight()).isEqualTo(1);
    assertError(api.patch("/api/backends/" + id, "{\"weight\": \"heavy\", \"state\": \"maint\"}"), 400, "weight");
    assertThat(cluster.backend(0).state()).isEqualTo(BackendState.UP);
    assertError(api.patch("/api/backends/" + id, "not json"), 400, null);
    assertError(api.patch("/api/backends/10.9.9.9:1", "{\"weight\": 1}"), 404, null);
    assertError(api.get("/api/backends/nope"), 404, null);
    assertError(api.delete("/api/backends/10.9.9.9:1"), 404, null);
  }

  @Test
  void algorithmCanBeReadAndSwitched() {
    JsonNode a = api.get("/api/algorithm").json();
    assertThat(a.path("available").size()).isGreaterThan(1);
    String other = a.path("available").get(1).asText();
    AdminCalls.Reply r = api.put("/api/algorithm", "{\"algorithm\": \"" + other + "\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(api.get("/api/algorithm").json().path("algorithm").asText()).isEqualTo(other);
    assertThat(cluster.stc.control().controller().algorithm().configName()).isEqualTo(other);

    AdminCalls.Reply bad = api.put("/api/algorithm", "{\"algorithm\": \"fastest\"}");
    assertError(bad, 400, "algorithm");
    assertThat(bad.json().path("error").asText()).contains("round_robin");
    assertError(api.put("/api/algorithm", "{\"algorithm\": 3}"), 400, "algorithm");
    assertError(api.put("/api/algorithm", "{}"), 400, "algorithm");
    assertError(api.put("/api/algorithm", "{"), 400, null);

    assertThat(api.post("/algorithm", "{\"algorithm\": \"round_robin\"}").status()).isEqualTo(200);
    assertThat(api.get("/api/algorithm").json().path("algorithm").asText()).isEqualTo("round_robin");
  }

  @Test
  void recentRequestsNewestFirst() throws Exception {
    for (int i = 0; i < 5; i++) {
      cluster.get("/recent-" + i);
    }
    JsonNode list = api.get("/api/requests?limit=3").json();
    assertThat(list.size()).isEqualTo(3);
    assertThat(list.get(0).path("path").asText()).isEqualTo("/recent-4");
    assertThat(list.get(0).path("method").asText()).isEqualTo("GET");
    assertThat(list.get(0).path("status").asInt()).isEqualTo(200);
    assertThat(list.get(0).path("backend").asText()).startsWith("127.0.0.1:");
    assertThat(list.get(0).path("client").asText()).isEqualTo("127.0.0.1");
    assertThat(list.get(0).has("latency_ms")).isTrue();
    assertThat(list.get(0).has("time")).isTrue();
    assertThat(list.get(0).path("protocol").asText()).isEqualTo("HTTP/1.1");
    assertThat(list.get(0).path("bytes").asLong()).isPositive();
    assertThat(list.get(0).get("failure").isNull()).isTrue();
    assertError(api.get("/api/requests?limit=0"), 400, "limit");
    assertError(api.get("/api/requests?limit=abc"), 400, "limit");
    assertError(api.get("/api/requests?limit=1001"), 400, "limit");
  }

  @Test
  void resetZeroesTheCounters() throws Exception {
    cluster.get("/before-reset");
    assertThat(api.post("/api/reset", null).status()).isEqualTo(200);
    JsonNode s = api.get("/api/stats").json();
    assertThat(s.path("totals").path("requests").asLong()).isZero();
    assertThat(api.get("/api/requests").json().size()).isZero();
    for (JsonNode b : s.path("backends")) {
      assertThat(b.path("requests").asLong()).isZero();
      assertThat(b.path("latency_ms").path("p99").asDouble()).isZero();
    }
    assertThat(api.post("/reset", null).status()).isEqualTo(200);
  }

  @Test
  void unknownRoutesAndMethodsAreJsonErrors() throws Exception {
    assertError(api.get("/api/nothing"), 404, null);
    assertError(api.send("DELETE", "/api/stats", null), 405, null);
    // Found by AdminApiPropertyTest: Vert.x's router answered these with a bare 500.
    for (String path : List.of("/%", "/health/%zz", "/api/backends/%4")) {
      String reply = io.stc.testing.RawHttp.exchange(cluster.stc.adminPort(),
          "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(reply).startsWith("HTTP/1.1 400 ").contains("{\"error\":\"malformed percent-encoding in the path\"}");
    }
  }

  @Test
  void openApiDocumentListsExactlyTheRoutes() {
    JsonNode doc = api.get("/api/openapi.json").json();
    assertThat(doc.path("openapi").asText()).startsWith("3.");
    Set<String> documented = new TreeSet<>();
    doc.path("paths").fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(m -> {
      if (!m.equals("parameters")) {
        documented.add(m.toUpperCase() + " " + p.getKey());
      }
    }));
    Set<String> routed = new TreeSet<>();
    for (var route : cluster.stc.control().router().getRoutes()) {
      if (route.getPath() == null) {
        continue;
      }
      String path = route.getPath().replaceAll(":(\\w+)", "{$1}");
      route.methods().forEach(m -> routed.add(m.name() + " " + path));
    }
    assertThat(routed).hasSizeGreaterThan(20);
    assertThat(documented).isEqualTo(routed);
  }
}
