package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.constraints.Size;

/**
 * Whatever a config file holds, loading it either gives a configuration or a {@link ConfigException}
 * (a message for the user): never another exception, which would reach the user as a stack trace.
 */
class ConfigLoaderPropertyTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final YAMLMapper YAML = new YAMLMapper();

  /** Keys from every level of the real format, so generated trees get past the unknown-key check. */
  private static final List<String> KEYS = List.of(
      "host", "port", "io_threads", "algorithm", "backends", "health", "timeouts", "retries",
      "served_by_header", "shutdown_timeout", "limits", "hash_key", "slow_start", "circuit_breaker",
      "state_dir", "sticky", "max_inflight", "queue", "admin", "access_log", "drain_timeout", "autoscale",
      "rate_limit", "weight", "enabled", "path", "interval", "timeout", "rise", "fall", "connect", "response",
      "idle", "header_size", "uri", "headers", "body", "failure_threshold", "open_time", "half_open_requests",
      "max_open_time", "count_5xx", "max_ejection_percent", "mode", "name", "ttl", "max_sessions",
      "honour_draining", "key", "max", "token", "cors_origins", "format", "provider", "policy", "min",
      "target", "metric", "utilization", "tolerance", "stable_window", "panic_window", "panic_threshold",
      "stabilization_window", "max_step_up", "threshold_up", "threshold_down", "rps_up", "rps_down",
      "cooldown_up", "cooldown_down", "start_timeout", "kind", "command", "log_dir", "stop_timeout",
      "per", "header", "rps", "burst", "max_clients");

  /** Scalars that mean something to some reader, or nearly do. */
  private static final List<String> WORDS = List.of(
      "0", "1", "-1", "2", "65535", "65536", "99999999999999999999", "0.5", "1e9", "1e999", "NaN", "-0", "0x1F",
      "2s", "500ms", "-1s", "1.5h", "0s", "1m", "99999999999h", "8KiB", "1MiB", "0b", "9999GiB", "true", "false",
      "yes", "off", "null", "~", "round_robin", "least_connections", "consistent_hash", "header:X", "cookie:",
      "client_ip", "cookie", "ip", "header", "target", "process", "static", "{port}", "java -jar x {port}",
      "127.0.0.1", "::1", "[::1]:80", "localhost:3001:2", "http://x", "/health", "", " ", "json", "combined",
      "stdout", "*", "https://ops.example.com", "X-Api-Key", "bad name", "\u0000", "\u00e9\u4e2d", "%00");

  private static Path dir;

  @BeforeContainer
  static void createDir() throws IOException {
    dir = Files.createTempDirectory("stc-config-props-");
  }

  @AfterContainer
  static void deleteDir() throws IOException {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Property(tries = 300)
  void randomBytes(@ForAll @Size(max = 600) byte[] bytes) throws IOException {
    loadsOrExplains("bytes.yaml", bytes);
    loadsOrExplains("bytes.json", bytes);
  }

  @Property(tries = 400)
  void yamlishText(@ForAll("yamlish") String text) throws IOException {
    loadsOrExplains("text.yaml", text.getBytes(StandardCharsets.UTF_8));
    loadsOrExplains("text.json", text.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 400)
  void jsonTrees(@ForAll("documents") JsonNode tree) throws IOException {
    loadsOrExplains("tree.json", JSON.writeValueAsBytes(tree));
    loadsOrExplains("tree.yaml", YAML.writeValueAsBytes(tree));
  }

  @Property(tries = 50)
  void deepNesting(@ForAll("openers") String openers) throws IOException {
    loadsOrExplains("deep.yaml", openers.getBytes(StandardCharsets.UTF_8));
    loadsOrExplains("deep.json", openers.getBytes(StandardCharsets.UTF_8));
  }

  private static void loadsOrExplains(String name, byte[] content) throws IOException {
    Path file = Files.write(dir.resolve(name), content);
    try {
      assertThat(ConfigLoader.load(file)).isNotNull();
    } catch (ConfigException e) {
      // A message for the user, pointing at the file.
      assertThat(e.getMessage()).startsWith(file.toString() + ":").doesNotContain("Exception");
    }
  }

  @Provide
  Arbitrary<String> yamlish() {
    Arbitrary<String> key = Arbitraries.oneOf(
        Arbitraries.of(KEYS), Arbitraries.strings().withChars("abc_-:#&*!? ").ofMaxLength(6));
    Arbitrary<String> value = Arbitraries.oneOf(
        Arbitraries.of(WORDS),
        Arbitraries.strings().withChars(":-[]{}&*!|>'\"%@`#,?\t \\abc019").ofMaxLength(12),
        Arbitraries.strings().ofMaxLength(8));
    Arbitrary<String> line = Arbitraries.oneOf(
        net.jqwik.api.Combinators.combine(Arbitraries.of("", "  ", "    ", "- ", "  - ", "\t"), key, Arbitraries.of(": ", ":", " : ", ":\n  "), value)
            .as((indent, k, colon, v) -> indent + k + colon + v),
        net.jqwik.api.Combinators.combine(Arbitraries.of("", "  ", "- "), value).as((indent, v) -> indent + v),
        Arbitraries.of("---", "...", "%YAML 1.2", "? complex", "!!map", "&anchor", "key: *anchor", "<<: *a",
            "- [", "{", "}", "]", "'", "\"", "|", ">-", "# comment"));
    return line.list().ofMaxSize(15).map(lines -> String.join("\n", lines));
  }

  @Provide
  Arbitrary<String> openers() {
    return Arbitraries.strings().withChars("[{-: ").ofMinLength(100).ofMaxLength(5000);
  }

  @Provide
  Arbitrary<JsonNode> documents() {
    // Mostly mappings at the root, as real files are, so the readers behind the keys run.
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, objects(3)),
        net.jqwik.api.Tuple.of(1, tree(3)));
  }

  private Arbitrary<JsonNode> tree(int depth) {
    if (depth == 0) {
      return scalars();
    }
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, scalars()),
        net.jqwik.api.Tuple.of(2, objects(depth - 1)),
        net.jqwik.api.Tuple.of(1, arrays(depth - 1)));
  }

  private Arbitrary<JsonNode> objects(int depth) {
    Arbitrary<String> keys = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(9, Arbitraries.of(KEYS)),
        net.jqwik.api.Tuple.of(1, Arbitraries.strings().ofMaxLength(5)));
    return Arbitraries.maps(keys, Arbitraries.lazy(() -> tree(depth))).ofMaxSize(5).map(entries -> {
      ObjectNode o = NODES.objectNode();
      for (Map.Entry<String, JsonNode> e : entries.entrySet()) {
        o.set(e.getKey(), e.getValue());
      }
      return o;
    });
  }

  private Arbitrary<JsonNode> arrays(int depth) {
    return Arbitraries.lazy(() -> tree(depth)).list().ofMaxSize(4).map(items -> {
      ArrayNode a = NODES.arrayNode();
      items.forEach(a::add);
      return a;
    });
  }

  private Arbitrary<JsonNode> scalars() {
    return Arbitraries.oneOf(
        Arbitraries.of(WORDS).map(NODES::textNode),
        Arbitraries.strings().ofMaxLength(10).map(NODES::textNode),
        Arbitraries.integers().map(NODES::numberNode),
        Arbitraries.longs().map(NODES::numberNode),
        Arbitraries.doubles().map(NODES::numberNode),
        Arbitraries.of(NODES.booleanNode(true), NODES.booleanNode(false), NODES.nullNode()));
  }
}
