package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code stc load} as a real process from the fat jar. */
class LoadCommandIT {
  private static Vertx vertx;
  private static String url;

  @BeforeAll
  static void startServer() throws Exception {
    vertx = Vertx.vertx();
    HttpServer server = vertx.createHttpServer()
        .requestHandler(req -> req.response().putHeader("X-Served-By", "it").end("ok"))
        .listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    url = "http://127.0.0.1:" + server.actualPort() + "/";
  }

  @AfterAll
  static void stopServer() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private record Exit(int code, String out, String err) {}

  private static Exit stc(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", System.getProperty("stc.jar")));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    try {
      // both streams are small; read them fully, then the exit code
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      return new Exit(p.exitValue(), out, err);
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void closedLoopJsonFromTheJar() throws Exception {
    Exit e = stc("load", "--url", url, "--requests", "50", "--concurrent", "5", "--json");
    assertThat(e.code()).as(e.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(e.out());
    assertThat(json.get("completed").asLong()).isEqualTo(50);
    assertThat(json.get("servedBy").get("it").asLong()).isEqualTo(50);
  }

  @Test
  void openLoopTextReportFromTheJar() throws Exception {
    Exit e = stc("load", "--url", url, "--pattern", "sine", "--rate", "50", "--duration", "2s");
    assertThat(e.code()).as(e.err()).isZero();
    assertThat(e.out()).contains("Open loop: sine at 50 req/s for 2s").contains("Status:    200: ");
  }

  @Test
  void anUnreachableTargetIsSaidPlainly() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Exit e = stc("load", "--url", "http://127.0.0.1:" + port + "/", "--requests", "3", "--concurrency", "1");
    assertThat(e.code()).isEqualTo(1);
    assertThat(e.err().strip()).isEqualTo("stc load: cannot connect to 127.0.0.1:" + port + ": connection refused");
  }

  @Test
  void badUrlExitsWithTwo() throws Exception {
    Exit e = stc("load", "--url", "not a url");
    assertThat(e.code()).isEqualTo(2);
    assertThat(e.err()).contains("stc load: bad URL");
  }
}
