package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.StcConfig;
import io.stc.testing.RawHttp;
import io.stc.testing.TestCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The dashboard's files on the admin listener: served without the token, gzipped, revalidated, and nothing else. */
class DashboardFilesTest {
  static final String TOKEN = "dashboard-token";
  static TestCluster cluster;
  static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.of(1, c -> c.withAdmin(new StcConfig.Admin(true, "127.0.0.1", 0, TOKEN, List.of())));
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  static HttpResponse<byte[]> get(String path, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(cluster.adminUri(path)).timeout(Duration.ofSeconds(10));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void thePageLoadsWithoutTheTokenAndLocksItselfDown() throws Exception {
    HttpResponse<byte[]> r = get("/");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
    assertThat(r.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v ->
        assertThat(v).contains("default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"));
    assertThat(r.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    String html = new String(r.body(), StandardCharsets.UTF_8);
    assertThat(html).contains("<script type=\"module\" src=\"/assets/app.js\">", "/assets/chart.umd.min.js");
    // Data still needs the token.
    assertThat(get("/api/stats").statusCode()).isEqualTo(401);
  }

  @Test
  void everyFileIsServedPlainOrGzippedWithItsType() throws Exception {
    List<String> files = new java.util.ArrayList<>(List.of(Dashboard.OWN_FILES));
    files.remove(Dashboard.INDEX);
    files.add(Dashboard.CHART_JS);
    for (String f : files) {
      HttpResponse<byte[]> plain = get("/assets/" + f);
      assertThat(plain.statusCode()).as(f).isEqualTo(200);
      assertThat(plain.headers().firstValue("Content-Type").orElseThrow())
          .as(f).startsWith(f.endsWith(".css") ? "text/css" : "text/javascript");
      assertThat(plain.headers().firstValue("Content-Encoding")).as(f).isEmpty();
      HttpResponse<byte[]> zipped = get("/assets/" + f, "Accept-Encoding", "gzip, deflate");
      assertThat(zipped.headers().firstValue("Content-Encoding")).as(f).contains("gzip");
      assertThat(zipped.body().length).as(f).isLessThan(plain.body().length);
      try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
        assertThat(in.readAllBytes()).as(f).isEqualTo(plain.body());
      }
    }
    assertThat(new String(get("/assets/" + Dashboard.CHART_JS).body(), StandardCharsets.UTF_8)).contains("Chart.js");
  }

  @Test
  void anUnchangedFileIsNotSentAgain() throws Exception {
    HttpResponse<byte[]> first = get("/assets/app.js");
    String etag = first.headers().firstValue("ETag").orElseThrow();
    HttpResponse<byte[]> again = get("/assets/app.js", "If-None-Match", etag);
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
    assertThat(get("/assets/app.js", "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);
  }

  @Test
  void onlyTheDashboardsOwnFilesAreServed() throws Exception {
    for (String path : List.of("/assets/nothing.js", "/assets/index.html", "/assets/logback.xml", "/assets/%2e%2e%2flogback.xml")) {
      HttpResponse<byte[]> r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(path).contains("\"error\"");
    }
    // The token check looks at the path the router matches, so dot segments cannot borrow the files' exemption.
    String raw = RawHttp.exchange(cluster.stc.adminPort(),
        "GET /assets/../api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assertThat(raw).startsWith("HTTP/1.1 401");
    HttpResponse<String> stats = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.stc.adminPort() + "/api/stats"))
            .header("Authorization", "Bearer " + TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(stats.statusCode()).isEqualTo(200);
  }
}
