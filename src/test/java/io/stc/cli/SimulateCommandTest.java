package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import picocli.CommandLine;

class SimulateCommandTest {
  private static final List<String> POLICIES = List.of("slo", "concurrency", "target", "threshold", "rps");

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
  void reportsTheRunInText() {
    Run r = stc("simulate", "--pattern", "burst", "--duration", "2m", "--policy", "concurrency", "--seed", "1",
        "--rate", "50", "--verbose");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("Simulated 2m of burst at 50 req/s (seed 1)")
        .contains("Policy       concurrency")
        .containsPattern("Requests +[\\d,]+ arrived, [\\d,]+ served: [\\d.]+% success")
        .containsPattern("Latency +p50 [\\d.,]+ ms")
        .contains("oracle lower bound")
        .containsPattern("Scale events \\d+ up, \\d+ down")
        .contains("Scaled UP: added auto-")
        .contains("Wall time");
  }

  @Test
  void compareListsEveryPolicyOnOneTrace() {
    Run r = stc("simulate", "--compare", "--duration", "2m", "--seed", "3");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("policy ")).findFirst().orElseThrow());
    assertThat(lines.get(header)).contains("success", "p50 ms", "p99 ms", "instance-s", "oracle", "ratio");
    for (int i = 0; i < POLICIES.size(); i++) {
      assertThat(lines.get(header + 1 + i)).startsWith(POLICIES.get(i) + " ");
    }
  }

  @Test
  void compareAsJsonHasOneRunPerPolicyWithTheSameArrivals() throws Exception {
    Run r = stc("simulate", "--compare", "--duration", "1m", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertThat(json.get("model").get("pattern").asText()).isEqualTo("burst");
    JsonNode runs = json.get("runs");
    assertThat(runs).hasSize(POLICIES.size());
    for (int i = 0; i < POLICIES.size(); i++) {
      assertThat(runs.get(i).get("policy").asText()).isEqualTo(POLICIES.get(i));
      assertThat(runs.get(i).get("arrived").asLong()).isEqualTo(runs.get(0).get("arrived").asLong());
      assertThat(runs.get(i).get("latencyMillis").get("p99").asDouble()).isPositive();
    }
  }

  @Test
  void htmlReportIsWellFormedWithCharts(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("report.html");
    Run r = stc("simulate", "--compare", "--duration", "2m", "--report", file.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("Report written to " + file);

    String html = Files.readString(file);
    // Self-contained: nothing to fetch, nothing to run.
    assertThat(html).doesNotContain("<script", "src=", "href=", "url(", "@import")
        .contains("stc simulate: burst at 50 req/s for 2m, seed 1");
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    Document doc = f.newDocumentBuilder().parse(file.toFile());
    NodeList svgs = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "svg");
    // Arrivals, the two overlays, and instances + p99 for each policy.
    assertThat(svgs.getLength()).isGreaterThanOrEqualTo(3 + 2 * POLICIES.size());
    for (int i = 0; i < svgs.getLength(); i++) {
      Element svg = (Element) svgs.item(i);
      assertThat(svg.getElementsByTagNameNS("http://www.w3.org/2000/svg", "path").getLength())
          .as("lines in chart %d", i).isPositive();
    }
    assertThat(doc.getElementsByTagName("td").getLength()).isGreaterThanOrEqualTo(POLICIES.size() * 10);
  }

  @Test
  void badArgumentsExitTwoWithAClearMessage() {
    assertBad("--capacity 5-2", "--capacity needs 1 <= MIN <= MAX", "--capacity", "5-2");
    assertBad("--capacity x", "--capacity: expected MIN-MAX", "--capacity", "lots");
    assertBad("--policy", "unknown policy 'fast'", "--policy", "fast");
    assertBad("--pattern", "--pattern: unknown pattern 'wave'", "--pattern", "wave");
    assertBad("--duration", "--duration: expected a duration", "--duration", "soon");
    assertBad("--rate", "--rate must be a positive number", "--rate", "-3");
    assertBad("--min > --max", "--min 5 is above --max 3", "--min", "5", "--max", "3");
    assertBad("--max below the default min", "--min 2 is above --max 1", "--max", "1");
    assertBad("too many requests", "the simulator takes at most", "--rate", "1e9", "--duration", "1h");
    assertBad("--queue-timeout 0", "--queue-timeout must be longer than 0", "--queue-timeout", "0s");
    assertBad("--algorithm random", "unseeded", "--algorithm", "random");
    assertBad("--compare --policy", "exclude each other", "--compare", "--policy", "rps");
    assertBad("--report in a missing directory", "--report: directory", "--report", "/nonexistent-dir/r.html");
    assertBad("--schedule without a start", "--schedule needs --start-at", "--schedule", "0 7 * * *;0 8 * * *;4");
    assertBad("--schedule in two parts", "--schedule: expected START;END;MIN[;ZONE]", "--schedule", "0 7 * * *;4");
    assertBad("--schedule bad cron", "--schedule: '0 7 * *;0 8 * * *;4': expected five fields", "--schedule", "0 7 * *;0 8 * * *;4");
    assertBad("--schedule min", "--schedule: min 20 must be above --min (2) and at most --max (8)",
        "--schedule", "0 7 * * *;0 8 * * *;20", "--start-at", "2026-12-07T06:00:00Z");
    assertBad("--schedule zone", "unknown time zone 'Mars/Olympus'", "--schedule", "0 7 * * *;0 8 * * *;4;Mars/Olympus");
    assertBad("--start-at", "--start-at: expected a date and time such as", "--start-at", "tomorrow");
    Run typo = stc("simulate", "--max-inflight", "ten");
    assertThat(typo.code()).isEqualTo(2);
    assertThat(typo.err()).contains("--max-inflight");
  }

  private static void assertBad(String what, String message, String... args) {
    String[] full = new String[args.length + 1];
    full[0] = "simulate";
    System.arraycopy(args, 0, full, 1, args.length);
    Run r = stc(full);
    assertThat(r.code()).as(what).isEqualTo(2);
    assertThat(r.err()).as(what).startsWith("stc simulate: ").contains(message).doesNotContain("Exception");
    assertThat(r.out()).as(what).isEmpty();
  }

  @Test
  void aTraceIsReplayedAndABadOneExitsTwoNamingTheLine(@TempDir Path dir) throws Exception {
    Path trace = Files.writeString(dir.resolve("prod.csv"), "seconds,rate\n0,40\n30,120\n60,40\n");
    Run ok = stc("simulate", "--trace", trace.toString(), "--trace-scale", "2", "--json");
    assertThat(ok.code()).as(ok.err()).isZero();
    JsonNode model = new ObjectMapper().readTree(ok.out()).get("model");
    assertThat(model.get("trace").asText()).isEqualTo("trace prod.csv x2");
    assertThat(model.get("durationSeconds").asDouble()).isEqualTo(90);

    Path bad = Files.writeString(dir.resolve("bad.txt"), "10\n20\n# fine\n3O\n");
    assertBad("a bad trace line", "bad.txt:4: expected a rate (requests per second), got '3O'", "--trace", bad.toString());
    assertBad("--trace with --rate", "--rate and --trace exclude each other", "--trace", trace.toString(), "--rate", "5");
    assertBad("--trace-start without --trace", "--trace-start needs --trace FILE", "--trace-start", "10s");
    assertBad("a cut past the end", "--trace-duration 100s runs past the end", "--trace", trace.toString(),
        "--trace-duration", "100s");
  }

  @Test
  void helpShowsTheDefaultsFromTheConfig() {
    Run r = stc("simulate", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out().replaceAll("\\s+", " ")).contains("(default burst)", "(default 2, as autoscale.min)", "(default 8, as autoscale.max)",
        "(default 10)", "(default 2-5)", "(default 1s, as autoscale.interval)", "(default 10s)");
  }
}
