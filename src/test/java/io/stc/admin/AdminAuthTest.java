package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.config.StcConfig;
import io.stc.testing.TestCluster;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdminAuthTest {
  static final String TOKEN = "s3cret-token";
  static final String ORIGIN = "https://ops.example.com";
  static TestCluster cluster;
  static AdminCalls anonymous;
  static AdminCalls authorized;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.of(1, c -> c.withAdmin(new StcConfig.Admin(true, "127.0.0.1", 0, TOKEN, List.of(ORIGIN))));
    anonymous = new AdminCalls(cluster.stc.adminPort());
    authorized = new AdminCalls(cluster.stc.adminPort(), TOKEN);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void everyCallButHealthAndMetricsNeedsTheToken() {
    for (String path : List.of("/api/stats", "/api/backends", "/api/algorithm", "/lb/stats", "/status", "/ready", "/api/openapi.json")) {
      AdminCalls.Reply r = anonymous.get(path);
      assertThat(r.status()).as(path).isEqualTo(401);
      assertThat(r.json().path("error").asText()).contains("Authorization");
      assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
      assertThat(authorized.get(path).status()).as(path).isEqualTo(200);
    }
    AdminCalls.Reply post = anonymous.post("/api/reset", null);
    assertThat(post.status()).isEqualTo(401);
    AdminCalls.Reply wrong = anonymous.send("GET", "/api/stats", null, "Authorization", "Bearer nope");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.json().path("error").asText()).isEqualTo("invalid token");

    assertThat(anonymous.get("/health").status()).isEqualTo(200);
    assertThat(anonymous.get("/metrics").status()).isEqualTo(200);
  }

  @Test
  void corsAllowsTheConfiguredOriginOnly() {
    AdminCalls.Reply ok = authorized.send("GET", "/api/stats", null, "Origin", ORIGIN);
    assertThat(ok.headers().firstValue("Access-Control-Allow-Origin")).contains(ORIGIN);
    AdminCalls.Reply preflight = anonymous.send("OPTIONS", "/api/backends", null,
        "Origin", ORIGIN, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "Authorization");
    assertThat(preflight.status()).isBetween(200, 204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods")).hasValueSatisfying(v -> assertThat(v).contains("POST"));
    AdminCalls.Reply other = authorized.send("GET", "/api/stats", null, "Origin", "https://evil.example.com");
    assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    // Refused plainly, never a 500, and before the token is even looked at.
    assertThat(other.status()).isEqualTo(403);
    assertThat(other.json().path("error").asText()).contains("origin not allowed");
    assertThat(anonymous.send("POST", "/api/reset", null, "Origin", "https://evil.example.com").status()).isEqualTo(403);
    // The dashboard's files are served to anyone, and its own origin is never refused.
    assertThat(anonymous.send("GET", "/", null, "Origin", "https://evil.example.com").status()).isEqualTo(200);
    assertThat(authorized.send("GET", "/api/stats", null, "Origin", "http://127.0.0.1:" + cluster.stc.adminPort()).status()).isEqualTo(200);
  }

  @Test
  void aNonLoopbackListenerNeedsAToken() {
    StcConfig.Admin open = StcConfig.Admin.defaults().withHost("0.0.0.0");
    assertThatThrownBy(() -> AdminServer.checkExposure(open))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("STC_ADMIN_TOKEN");
    assertThatCode(() -> AdminServer.checkExposure(open.withToken("t"))).doesNotThrowAnyException();
    assertThatCode(() -> AdminServer.checkExposure(StcConfig.Admin.defaults())).doesNotThrowAnyException();
    assertThatCode(() -> AdminServer.checkExposure(StcConfig.Admin.defaults().withHost("localhost"))).doesNotThrowAnyException();
  }
}
