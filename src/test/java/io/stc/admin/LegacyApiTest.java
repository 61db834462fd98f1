package io.stc.admin;

import static io.stc.config.StcConfig.Sticky.Mode.COOKIE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.config.StcConfig;
import io.stc.testing.Contracts;
import io.stc.testing.TestCluster;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The predecessors' routes answer in their own shapes (a JSON schema per route in
 * {@code src/test/resources/contracts}) with stc's real figures in them.
 */
class LegacyApiTest {
  TestCluster cluster;
  AdminCalls api;
  final List<DemoBackend> extra = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    cluster = TestCluster.of(2, c -> c.withSticky(new StcConfig.Sticky(COOKIE, "STC_SID", Duration.ofHours(1), 1000, false, null)));
    api = new AdminCalls(cluster.stc.adminPort());
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
    extra.forEach(DemoBackend::close);
  }

  HttpResponse<String> get(String path) throws Exception {
    return cluster.get(path);
  }

  @Test
  void lbStatsIsSeed004sShapeWithEachBackendsFigures() throws Exception {
    for (int i = 0; i < 10; i++) {
      assertThat(get("/ok-" + i).statusCode()).isEqualTo(200);
    }
    for (int i = 0; i < 4; i++) {
      assertThat(get("/bad-" + i + "?status=500").statusCode()).isEqualTo(500);
    }
    // A request in flight shows as an active connection on the backend serving it.
    CompletableFuture<HttpResponse<String>> slow = cluster.http.sendAsync(
        HttpRequest.newBuilder(cluster.uri("/slow?delay=3")).build(), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/lb/stats").json().path("servers").findValues("active_connections")
        .stream().mapToInt(JsonNode::asInt).sum() == 1);

    AdminCalls.Reply reply = api.get("/lb/stats");
    assertThat(reply.status()).isEqualTo(200);
    Contracts.assertMatches("lb-stats", reply.body());
    JsonNode s = reply.json();
    assertThat(s.path("algorithm").asText()).isEqualTo("round_robin");
    assertThat(s.path("total_servers").asInt()).isEqualTo(2);
    assertThat(s.path("healthy_servers").asInt()).isEqualTo(2);
    // Each request without a cookie opened a session.
    assertThat(s.path("active_sessions").asLong()).isPositive();
    long requests = 0;
    long errors = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = s.path("servers").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode b = e.getValue();
      assertThat(e.getKey()).isEqualTo(b.path("host").asText() + ":" + b.path("port").asInt());
      assertThat(cluster.stc.upstream().pool().find(e.getKey())).isNotNull();
      long r = b.path("total_requests").asLong();
      long err = b.path("total_errors").asLong();
      requests += r;
      errors += err;
      assertThat(b.path("error_rate").asText()).isEqualTo(String.format(Locale.ROOT, "%.2f%%", r == 0 ? 0.0 : 100.0 * err / r));
    }
    // The one in flight counts once it ends.
    assertThat(requests).isEqualTo(14);
    assertThat(errors).isEqualTo(4);
    assertThat(slow.get().statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(5)).until(() -> api.get("/lb/stats").json().path("servers").findValues("total_requests")
        .stream().mapToLong(JsonNode::asLong).sum() == 15);

    // With no traffic left, each figure is stc's own; health checks go on, so their time is bracketed.
    String id = cluster.id(0);
    JsonNode earlier = api.get("/api/backends/" + id).json();
    java.time.Instant before = java.time.Instant.parse(earlier.path("last_health_check").path("time").asText());
    JsonNode legacy = api.get("/lb/stats").json().path("servers").path(id);
    JsonNode own = api.get("/api/backends/" + id).json();
    // Latencies reach the histogram at the once-a-second tick, which may fall between the reads.
    assertThat(legacy.path("avg_response_time").asText()).isIn(
        String.format(Locale.ROOT, "%.3fs", earlier.path("latency_ms").path("avg").asDouble() / 1000),
        String.format(Locale.ROOT, "%.3fs", own.path("latency_ms").path("avg").asDouble() / 1000));
    // Python's datetime.fromisoformat and JavaScript's Date read it; it is the last probe's time.
    java.time.Instant checked = OffsetDateTime.parse(legacy.path("last_health_check").asText()).toInstant();
    assertThat(checked).isBetween(before, java.time.Instant.parse(own.path("last_health_check").path("time").asText()));

    // A failing backend is reported down once its health checks say so.
    DemoBackend sick = cluster.backends.get(0);
    sick.fail();
    await().atMost(Duration.ofSeconds(15)).until(() -> api.get("/lb/stats").json().path("healthy_servers").asInt() == 1);
    JsonNode after = api.get("/lb/stats").json();
    assertThat(after.path("servers").path(cluster.id(0)).path("is_healthy").asBoolean()).isFalse();
    assertThat(after.path("servers").path(cluster.id(1)).path("is_healthy").asBoolean()).isTrue();
  }

  @Test
  void statusIsSeed001sShapeAndItsTotalsLeaveClientAbortsOut() throws Exception {
    for (int i = 0; i < 25; i++) {
      get("/r-" + i + (i % 5 == 0 ? "?status=503" : ""));
    }
    AdminCalls.Reply reply = api.get("/status");
    Contracts.assertMatches("status", reply.body());
    JsonNode s = reply.json();
    assertThat(s.path("statistics").path("total_requests").asLong()).isEqualTo(25);
    assertThat(s.path("statistics").path("successful_requests").asLong()).isEqualTo(20);
    assertThat(s.path("statistics").path("failed_requests").asLong()).isEqualTo(5);
    assertThat(s.path("backend_servers")).hasSize(2);
    assertThat(s.path("backend_servers").get(0).path("url").asText()).isEqualTo("http://" + s.path("backend_servers").get(0).path("id").asText());
    JsonNode recent = s.path("recent_requests");
    assertThat(recent).hasSize(20);
    // Oldest first, as the predecessor appended them; the last is the last request sent.
    assertThat(recent.get(19).path("status").asText()).isEqualTo("success");
    assertThat(recent.get(15).path("status").asText()).isEqualTo("failed");
    assertThat(recent.get(19).path("server_id").asText()).isIn(cluster.id(0), cluster.id(1));

    // A client that hangs up is not a failed request.
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", cluster.stc.port())) {
      socket.getOutputStream().write("GET /gone?delay=5 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.proxy().stats().active() == 1);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/api/stats").json().path("totals").path("client_aborts").asLong() == 1);
    JsonNode totals = api.get("/api/stats").json().path("totals");
    assertThat(totals.path("requests").asLong()).isEqualTo(26);
    assertThat(totals.path("failures").asLong()).isEqualTo(5);
    assertThat(totals.path("success_rate").asDouble()).isEqualTo(0.8);
    assertThat(api.get("/status").json().path("statistics").path("failed_requests").asLong()).isEqualTo(5);

    double before = s.path("statistics").path("start_time").asDouble();
    AdminCalls.Reply reset = api.post("/reset", null);
    assertThat(reset.status()).isEqualTo(200);
    Contracts.assertMatches("message", reset.body());
    assertThat(reset.json().path("message").asText()).isEqualTo("Statistics reset successfully");
    JsonNode after = api.get("/status").json();
    assertThat(after.path("statistics").path("total_requests").asLong()).isZero();
    assertThat(after.path("recent_requests")).isEmpty();
    assertThat(after.path("statistics").path("start_time").asDouble()).isGreaterThanOrEqualTo(before);
  }

  @Test
  void algorithmAnswersAsSeed001DidAndKnowsItsNames() {
    AdminCalls.Reply ok = api.post("/algorithm", "{\"algorithm\": \"weighted\"}");
    assertThat(ok.status()).isEqualTo(200);
    Contracts.assertMatches("algorithm", ok.body());
    assertThat(ok.json().path("current").asText()).isEqualTo("weighted");
    assertThat(api.get("/api/algorithm").json().path("algorithm").asText()).isEqualTo("weighted_round_robin");
    assertThat(api.post("/algorithm", "{\"algorithm\": \"least_response_time\"}").status()).isEqualTo(200);
    assertThat(api.get("/status").json().path("algorithm").asText()).isEqualTo("least_response_time");

    AdminCalls.Reply bad = api.post("/algorithm", "{\"algorithm\": \"fastest\"}");
    assertThat(bad.status()).isEqualTo(400);
    Contracts.assertMatches("error", bad.body());
    assertThat(bad.json().path("error").asText()).isEqualTo("Invalid algorithm");
    assertThat(bad.json().path("field").asText()).isEqualTo("algorithm");
    assertThat(bad.json().path("valid_options").toString()).contains("\"weighted\"", "\"power_of_two\"");
    assertThat(api.get("/api/algorithm").json().path("algorithm").asText()).isEqualTo("least_response_time");
  }

  @Test
  void addAndRemoveServerAnswerAsSeed004DidAndAnUnknownServerIs404() throws Exception {
    DemoBackend b = DemoBackend.started(BackendOptions.defaults().withName("added"));
    extra.add(b);
    String id = "127.0.0.1:" + b.port();
    AdminCalls.Reply added = api.post("/lb/add-server", "{\"host\": \"127.0.0.1\", \"port\": " + b.port() + "}");
    assertThat(added.status()).isEqualTo(200);
    Contracts.assertMatches("message", added.body());
    assertThat(added.json().path("message").asText()).isEqualTo("Server " + id + " added successfully");
    await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/lb/stats").json().path("healthy_servers").asInt() == 3);

    AdminCalls.Reply again = api.post("/lb/add-server", "{\"host\": \"127.0.0.1\", \"port\": " + b.port() + "}");
    assertThat(again.status()).isEqualTo(409);
    Contracts.assertMatches("error", again.body());
    AdminCalls.Reply missing = api.post("/lb/add-server", "{\"host\": \"127.0.0.1\"}");
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().path("field").asText()).isEqualTo("port");

    // Removal with a request in flight: it drains, the request finishes, then the server is gone.
    cluster.stc.upstream().setState(cluster.backend(0), io.stc.pool.BackendState.MAINT, "test");
    cluster.stc.upstream().setState(cluster.backend(1), io.stc.pool.BackendState.MAINT, "test");
    CompletableFuture<HttpResponse<String>> slow = cluster.http.sendAsync(
        HttpRequest.newBuilder(cluster.uri("/slow?delay=2")).build(), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.upstream().pool().find(id).stats().inFlight() == 1);
    AdminCalls.Reply removed = api.post("/lb/remove-server", "{\"host\": \"127.0.0.1\", \"port\": " + b.port() + "}");
    assertThat(removed.status()).isEqualTo(200);
    Contracts.assertMatches("message", removed.body());
    assertThat(removed.json().path("message").asText()).startsWith("Server " + id + " is draining");
    assertThat(slow.get().statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.upstream().pool().find(id) == null);

    AdminCalls.Reply unknown = api.post("/lb/remove-server", "{\"host\": \"127.0.0.1\", \"port\": " + b.port() + "}");
    assertThat(unknown.status()).isEqualTo(404);
    Contracts.assertMatches("error", unknown.body());
    assertThat(unknown.json().path("error").asText()).contains(id).doesNotContain("removed successfully");
  }

  @Test
  void backendAnswersCarrySeed004sFields() throws Exception {
    HttpResponse<String> r = get("/test/1");
    Contracts.assertMatches("backend-answer", r.body());
    JsonNode body = AdminCalls.MAPPER.readTree(r.body());
    String servedBy = r.headers().firstValue("X-Served-By").orElseThrow();
    assertThat(servedBy).endsWith(":" + body.path("server_port").asInt());
    assertThat(body.path("request_count").asLong()).isEqualTo(body.path("requests").asLong());
    for (DemoBackend b : cluster.backends) {
      HttpResponse<String> h = cluster.http.send(
          HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + b.port() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
      Contracts.assertMatches("backend-health", h.body());
      assertThat(AdminCalls.MAPPER.readTree(h.body()).path("port").asInt()).isEqualTo(b.port());
    }
  }

  @Test
  void apiProcessOnTheAdminPortGoesThroughTheDataPlane() {
    AdminCalls.Reply r = api.post("/api/process", "{\"n\": 1}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().path("path").asText()).isEqualTo("/api/process");
    assertThat(r.json().path("method").asText()).isEqualTo("POST");
    assertThat(r.json().path("received").asInt()).isEqualTo(8);
    assertThat(r.headers().firstValue("X-Served-By").orElseThrow()).isIn(cluster.id(0), cluster.id(1));
    // It went through the data plane: the exchange is in stc's own totals.
    await().atMost(Duration.ofSeconds(5)).until(() -> api.get("/api/requests").json().findValuesAsText("path").contains("/api/process"));
    assertThat(api.get("/api/process?status=503").status()).isEqualTo(503);
  }

  @Test
  void testRequestsListEachRequestWithItsBackendStatusAndLatency() {
    AdminCalls.Reply r = api.post("/api/test-requests", "{\"count\": 10, \"path\": \"/panel?delay=0.01\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    Contracts.assertMatches("test-requests", r.body());
    JsonNode j = r.json();
    assertThat(j.path("requests")).hasSize(10);
    assertThat(j.path("succeeded").asInt()).isEqualTo(10);
    for (int i = 0; i < 10; i++) {
      JsonNode n = j.path("requests").get(i);
      assertThat(n.path("n").asInt()).isEqualTo(i + 1);
      assertThat(n.path("status").asInt()).isEqualTo(200);
      assertThat(n.path("backend").asText()).isIn(cluster.id(0), cluster.id(1));
      assertThat(n.path("latency_ms").asDouble()).isGreaterThanOrEqualTo(10.0);
    }
    // Round robin over two: both answered.
    assertThat(j.path("requests").findValuesAsText("backend")).contains(cluster.id(0), cluster.id(1));

    AdminCalls.Reply failing = api.post("/api/test-requests", "{\"count\": 1, \"path\": \"/x?status=502\"}");
    assertThat(failing.json().path("failed").asInt()).isEqualTo(1);
    AdminApiTest.assertError(api.post("/api/test-requests", "{\"count\": 0}"), 400, "count");
    AdminApiTest.assertError(api.post("/api/test-requests", "{\"count\": 101}"), 400, "count");
    AdminApiTest.assertError(api.post("/api/test-requests", "{\"count\": 1, \"path\": \"/a b\"}"), 400, "path");
    AdminApiTest.assertError(api.post("/api/test-requests", "{\"count\": 1, \"path\": \"http://elsewhere/\"}"), 400, "path");
  }

  @Test
  void theDistributionAddsUpToTheTotals() throws Exception {
    for (int i = 0; i < 12; i++) {
      get("/d-" + i);
    }
    // Removed backends keep their share, under their own heading.
    cluster.stc.upstream().remove(cluster.id(0));
    for (int i = 0; i < 3; i++) {
      get("/e-" + i);
    }
    JsonNode t = api.get("/api/stats").json().path("totals");
    long served = 0;
    for (JsonNode n : t.path("served_by")) {
      served += n.asLong();
    }
    assertThat(t.path("removed_backends").asLong()).isEqualTo(6);
    assertThat(t.path("served_by").path(cluster.id(1)).asLong()).isEqualTo(9);
    assertThat(served + t.path("unrouted").asLong() + t.path("removed_backends").asLong()).isEqualTo(t.path("requests").asLong());
    assertThat(t.path("requests").asLong()).isEqualTo(15);
  }
}
