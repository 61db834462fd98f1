package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LoadCommandTest {
  private static Vertx vertx;
  private static String url;

  @BeforeAll
  static void startServer() throws Exception {
    vertx = Vertx.vertx();
    HttpServer server = vertx.createHttpServer()
        .requestHandler(req -> req.response().putHeader("X-Served-By", "solo").putHeader("X-Backend", "b7").end("ok"))
        .listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    url = "http://127.0.0.1:" + server.actualPort() + "/";
  }

  @AfterAll
  static void stopServer() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private record Run(int code, String out, String err) {}

  private static Run stc(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void jsonResultIsOneParsableObject() throws Exception {
    Run r = stc("load", "--url", url, "--requests", "30", "--concurrent", "3", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertThat(json.get("mode").asText()).isEqualTo("closed");
    assertThat(json.get("sent").asLong()).isEqualTo(30);
    assertThat(json.get("completed").asLong()).isEqualTo(30);
    assertThat(json.get("status").get("200").asLong()).isEqualTo(30);
    assertThat(json.get("servedBy").get("solo").asLong()).isEqualTo(30);
    assertThat(json.get("errors").get("total").asLong()).isZero();
    assertThat(json.get("latencyMs").get("p99").asDouble()).isPositive();
    assertThat(json.get("latencyMs").has("p999")).isTrue();
  }

  @Test
  void splitsByAnotherHeaderOnRequest() throws Exception {
    Run r = stc("load", "--url", url, "--requests", "5", "--served-by-header", "x-backend", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(new ObjectMapper().readTree(r.out()).get("servedBy").get("b7").asLong()).isEqualTo(5);
  }

  @Test
  void openLoopPrintsAReportAndWritesOneCsvRowPerSecond(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("seconds.csv");
    Run r = stc("load", "--url", url, "--pattern", "gradual", "--rate", "100", "--duration", "3s",
        "--csv", csv.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("Open loop: gradual at 100 req/s for 3s (seed 1)")
        .contains("Status:    200: ")
        .contains("p99.9")
        .contains("Served by: solo");
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines.get(0)).isEqualTo("second,sent,completed,errors,p50_ms,p99_ms,rate_target");
    assertThat(lines).hasSizeBetween(4, 5);
    assertThat(lines.get(1)).startsWith("0,").endsWith(",25.0");
    assertThat(lines.get(3)).startsWith("2,").endsWith(",85.0");
  }

  @Test
  void aTraceIsReplayedAndReportedOnAPage(@TempDir Path dir) throws Exception {
    Path trace = Files.writeString(dir.resolve("prod.txt"), "# req/s, one second a line\n20\n60\n40\n");
    Path page = dir.resolve("load.html");
    Run r = stc("load", "--url", url, "--trace", trace.toString(), "--warmup", "0s", "--json", "--report", page.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertThat(json.get("trace").asText()).isEqualTo("trace prod.txt");
    // 20 + 60 + 40 planned; the last may fall on the end, which is not part of the run.
    assertThat(json.get("sent").asLong()).isBetween(119L, 120L);
    String html = Files.readString(page);
    assertThat(html).doesNotContain("<script", "src=", "href=").contains("stc load: trace prod.txt", "trace rate");
    javax.xml.parsers.DocumentBuilderFactory f = javax.xml.parsers.DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    assertThat(f.newDocumentBuilder().parse(page.toFile())
        .getElementsByTagNameNS("http://www.w3.org/2000/svg", "svg").getLength()).isGreaterThanOrEqualTo(2);

    Path bad = Files.writeString(dir.resolve("bad.csv"), "0,10\n2,x\n");
    assertBad(stc("load", "--url", url, "--trace", bad.toString()), "stc load: bad.csv:2: expected a rate (requests per second), got 'x'");
    assertBad(stc("load", "--url", url, "--trace", trace.toString(), "--pattern", "sine"), "--pattern and --trace exclude each other");
    assertBad(stc("load", "--url", url, "--requests", "5", "--trace", trace.toString()), "--trace applies to the open loop");
  }

  @Test
  void anAccessLogsGetsAreSentToTheirPathsAtTheirRate(@TempDir Path dir) throws Exception {
    java.util.Queue<String> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
    HttpServer server = vertx.createHttpServer()
        .requestHandler(req -> {
          seen.add(req.method() + " " + req.uri());
          req.response().end("ok");
        })
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      String at0 = "[07/Dec/2026:10:00:00 +0000]";
      String at1 = "[07/Dec/2026:10:00:01 +0000]";
      Path log = Files.writeString(dir.resolve("access.log"), String.join("\n",
          "10.0.0.1 - - " + at0 + " \"GET /shop?item=7 HTTP/1.1\" 200 5 \"-\" \"curl/8\"",
          "10.0.0.1 - - " + at0 + " \"GET /cart HTTP/2.0\" 200 5 \"-\" \"curl/8\"",
          "10.0.0.1 - - " + at0 + " \"GET /a\\xC3\\xA9 HTTP/1.1\" 404 5 \"-\" \"curl/8\"",
          "10.0.0.1 - - " + at1 + " \"POST /checkout HTTP/1.1\" 201 5 \"-\" \"curl/8\"",
          "10.0.0.1 - - " + at1 + " \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8\"",
          "10.0.0.1 - - " + at1 + " \"GET /img/1.png HTTP/1.1\" 200 5 \"-\" \"curl/8\"", ""));
      String base = "http://127.0.0.1:" + server.actualPort() + "/ignored";
      Run r = stc("load", "--url", base, "--trace", log.toString(), "--trace-targets", "--warmup", "0s");
      assertThat(r.code()).as(r.err()).isZero();
      // Six requests a second's worth, to the four GETs that can be sent as they are, in turn.
      List<String> cycle = List.of("GET /shop?item=7", "GET /cart", "GET /", "GET /img/1.png");
      List<String> expected = new java.util.ArrayList<>();
      for (int i = 0; i < seen.size(); i++) {
        expected.add(cycle.get(i % cycle.size()));
      }
      assertThat(seen.size()).isBetween(5, 6);
      assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
      assertThat(r.out()).contains("Targets:   the paths of 4 GETs of access.log, each sent 1.").contains("; 2 other requests not sent");

      assertBad(stc("load", "--url", base, "--trace-targets"), "--trace-targets needs --trace FILE (an access log)");
      Path rates = Files.writeString(dir.resolve("rates.txt"), "5\n5\n");
      assertBad(stc("load", "--url", base, "--trace", rates.toString(), "--trace-targets"),
          "--trace-targets needs an access log as --trace, and rates.txt is a rate file");
      assertBad(stc("load", "--url", base, "--trace", log.toString(), "--trace-targets", "--method", "POST"),
          "--trace-targets sends the log's GETs: no --method POST or body with it");
    } finally {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void badArgumentsExitWithTwoAndAClearMessage() {
    assertBad(stc("load", "--url", "ftp://example.com/"), "only http:// URLs are supported");
    assertBad(stc("load", "--url", "http://"), "bad URL");
    assertBad(stc("load", "--url", url, "--rate", "-5"), "rate must be a positive number");
    assertBad(stc("load", "--url", url, "--pattern", "square"), "unknown pattern 'square'");
    assertBad(stc("load", "--url", url, "--duration", "soon"), "expected a duration");
    assertBad(stc("load", "--url", url, "--requests", "10", "--rate", "5"), "--rate applies to the open loop");
    assertBad(stc("load", "--url", url, "--concurrency", "5"), "add --requests");
    assertBad(stc("load", "--url", url, "--requests", "0"), "requests must be at least 1");
    assertBad(stc("load", "--url", url, "--header", "NoColon"), "expected 'Name: value'");
    assertBad(stc("load", "--url", url, "--header", "Content-Length: 5"), "set by stc load itself");
    assertBad(stc("load", "--url", url, "--body", "@/no/such/file"), "cannot read file");
    assertBad(stc("load", "--url", url, "--timeout", "0s"), "timeout must be positive");
    assertBad(stc("load", "--url", url, "--warmup", "-1s"), "expected a duration");
    assertBad(stc("load", "--url", url, "--connections", "100", "--max-outstanding", "10"), "at least the number of connections");
    assertBad(stc("load", "--url", "http://no-such-host.invalid/", "--duration", "1s"), "unknown host");
  }

  private static void assertBad(Run r, String message) {
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains(message);
  }

  @Test
  void anUnreachableTargetExitsWithOne() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = stc("load", "--url", "http://127.0.0.1:" + port + "/", "--duration", "1s");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("stc load: cannot connect to 127.0.0.1:" + port);
  }
}
