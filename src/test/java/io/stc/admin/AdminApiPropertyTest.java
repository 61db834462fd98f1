package io.stc.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stc.testing.RawHttp;
import io.stc.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random methods, paths and bodies against a real admin listener: every request gets an answer
 * below 500 within seconds, and the listener still answers a normal request after each one.
 *
 * <p>Generated hosts and ports are only this machine's own loopback backends, a closed loopback
 * port, or values the API must reject: an added backend is health-checked, and nothing here may
 * send traffic anywhere else.
 */
class AdminApiPropertyTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> ROUTES = List.of(
      "/health", "/ready", "/metrics", "/api/openapi.json", "/api/stats", "/api/backends", "/api/algorithm",
      "/api/reset", "/api/reload", "/api/requests", "/api/events", "/lb/stats", "/status", "/lb/add-server",
      "/lb/remove-server", "/algorithm", "/reset", "/", "/api", "/api/backends/");
  private static final List<String> SUFFIXES = List.of(
      "", "", "", "/", "/x", "/..", "/../health", "/%2e%2e", "/%00", "/%zz", "%", "//", "/;a=b", "?limit=-1",
      "?limit=abc", "?limit=99999999999", "?limit=5&limit=6", "?backend=%00", "?", "#frag", "/%F0%9F%98%80",
      "/\u00e9", "?a=\u4e2d", "/" + "a".repeat(3000));
  private static final List<String> FIELDS = List.of("host", "port", "weight", "state", "algorithm", "name", "id");
  private static final List<String> METHODS = List.of(
      "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get", "");

  private static TestCluster cluster;
  private static int adminPort;
  private static List<String> ids;
  private static List<JsonNode> ports;
  private static List<JsonNode> hosts;

  @BeforeContainer
  static void start() throws Exception {
    cluster = TestCluster.of(2);
    adminPort = cluster.stc.adminPort();
    ids = List.of(cluster.id(0), cluster.id(1));
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    ports = List.of(
        NODES.numberNode(cluster.backends.get(0).port()), NODES.numberNode(cluster.backends.get(1).port()),
        NODES.numberNode(closed), NODES.numberNode(0), NODES.numberNode(-1), NODES.numberNode(65536),
        NODES.numberNode(1e10), NODES.numberNode(1.5), NODES.textNode("80"), NODES.nullNode(), NODES.booleanNode(true));
    hosts = List.of(
        NODES.textNode("127.0.0.1"), NODES.textNode("localhost"), NODES.textNode("::1"), NODES.textNode("[::1]"),
        NODES.textNode(""), NODES.textNode(" "), NODES.textNode("a b"), NODES.textNode("host/x"),
        NODES.textNode("http://127.0.0.1"), NODES.textNode("\u0000"), NODES.textNode("\u00fcn\u00ef"),
        NODES.numberNode(5), NODES.nullNode(), NODES.arrayNode(), NODES.objectNode());
  }

  @AfterContainer
  static void stop() throws Exception {
    try {
      assertThat(cluster.http.send(
          java.net.http.HttpRequest.newBuilder(cluster.adminUri("/api/backends")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    } finally {
      cluster.close();
    }
  }

  @Property(tries = 300)
  void randomBodiesToTheRoutesThatReadOne(@ForAll("bodyRoutes") String route, @ForAll("bodies") byte[] body)
      throws IOException {
    int space = route.indexOf(' ');
    answersBelow500(route.substring(0, space), route.substring(space + 1), body);
  }

  @Property(tries = 300)
  void randomPaths(@ForAll("methods") String method, @ForAll("paths") String path) throws IOException {
    answersBelow500(method, path, new byte[0]);
  }

  @Property(tries = 200)
  void randomMethods(@ForAll("anyMethod") String method, @ForAll("paths") String path, @ForAll("bodies") byte[] body)
      throws IOException {
    answersBelow500(method, path, body);
  }

  private static void answersBelow500(String method, String path, byte[] body) throws IOException {
    int status = RawHttp.status(adminPort, request(method, path, body));
    // The one designed 5xx: readiness with no backend available, after the fuzz removed them.
    boolean notReady = status == 503 && path.startsWith("/ready");
    assertThat(status).as("%s %s", method, path).isBetween(100, notReady ? 503 : 499);
    assertThat(RawHttp.status(adminPort, request("GET", "/health", new byte[0]))).isEqualTo(200);
  }

  private static byte[] request(String method, String path, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes((method + " " + path + " HTTP/1.1\r\n").getBytes(StandardCharsets.UTF_8));
    out.writeBytes(("Host: 127.0.0.1:" + adminPort + "\r\nContent-Type: application/json\r\nContent-Length: "
        + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(body);
    return out.toByteArray();
  }

  @Provide
  Arbitrary<String> methods() {
    return Arbitraries.of(METHODS);
  }

  @Provide
  Arbitrary<String> anyMethod() {
    return Arbitraries.oneOf(
        Arbitraries.of(METHODS),
        Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(12),
        Arbitraries.strings().withChars("GETPOS/\t:@\u00e9-").ofMinLength(1).ofMaxLength(6));
  }

  /** "METHOD path" of each route that reads a body, a backend's routes with real and near-miss ids. */
  @Provide
  Arbitrary<String> bodyRoutes() {
    return Arbitraries.oneOf(
        Arbitraries.of("POST /api/backends", "POST /lb/add-server", "POST /lb/remove-server", "PUT /api/algorithm",
            "POST /algorithm", "POST /api/reset", "POST /reset", "POST /api/reload"),
        backendPaths().flatMap(path -> Arbitraries.of("PATCH " + path, "DELETE " + path, "GET " + path)));
  }

  private Arbitrary<String> backendPaths() {
    return Arbitraries.of(ids).flatMap(id -> Arbitraries.of(
        "/api/backends/" + id, "/api/backends/" + id.replace(":", "%3A"), "/api/backends/" + id + "x"));
  }

  @Provide
  Arbitrary<String> paths() {
    Arbitrary<String> known = Combinators.combine(Arbitraries.of(ROUTES), Arbitraries.of(SUFFIXES)).as(String::concat);
    Arbitrary<String> segments = Arbitraries.strings()
        .withChars("abc/._-%~:;@!$&'()*+,=?#[]\u00e9")
        .ofMaxLength(30)
        .map(s -> "/" + s);
    return Arbitraries.frequencyOf(
        Tuple.of(5, known), Tuple.of(2, backendPaths()), Tuple.of(2, segments),
        Tuple.of(1, Arbitraries.of("*", "http://127.0.0.1/api/stats", "api/stats", "/api/stats?x=%")));
  }

  @Provide
  Arbitrary<byte[]> bodies() {
    Arbitrary<byte[]> json = documents().map(n -> {
      try {
        return JSON.writeValueAsBytes(n);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    return Arbitraries.frequencyOf(
        Tuple.of(6, json),
        Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(300)),
        Tuple.of(1, Arbitraries.of("", "{", "[]", "null", "\"x\"", "1e999", "{\"host\":", "{}{}", "{\"weight\":1,\"weight\":2}")
            .map(s -> s.getBytes(StandardCharsets.UTF_8))));
  }

  private Arbitrary<JsonNode> documents() {
    return Arbitraries.frequencyOf(Tuple.of(6, objects(2)), Tuple.of(1, scalars()), Tuple.of(1, arrays(1)));
  }

  private Arbitrary<JsonNode> tree(int depth) {
    if (depth == 0) {
      return scalars();
    }
    return Arbitraries.frequencyOf(Tuple.of(4, scalars()), Tuple.of(1, objects(depth - 1)), Tuple.of(1, arrays(depth - 1)));
  }

  private Arbitrary<JsonNode> objects(int depth) {
    Arbitrary<Tuple.Tuple2<String, JsonNode>> field = Arbitraries.frequencyOf(
        Tuple.of(2, Arbitraries.lazy(() -> Arbitraries.of(hosts)).map(h -> Tuple.of("host", h))),
        Tuple.of(2, Arbitraries.lazy(() -> Arbitraries.of(ports)).map(p -> Tuple.of("port", p))),
        Tuple.of(4, Combinators.combine(
            Arbitraries.of(FIELDS).filter(f -> !f.equals("host") && !f.equals("port")),
            Arbitraries.lazy(() -> tree(depth))).as(Tuple::of)),
        Tuple.of(1, Combinators.combine(
            Arbitraries.strings().ofMaxLength(6).filter(f -> !f.equals("host") && !f.equals("port")),
            Arbitraries.lazy(() -> tree(depth))).as(Tuple::of)));
    return field.list().ofMaxSize(5).map(fields -> {
      ObjectNode o = NODES.objectNode();
      fields.forEach(f -> o.set(f.get1(), f.get2()));
      return o;
    });
  }

  private Arbitrary<JsonNode> arrays(int depth) {
    return Arbitraries.lazy(() -> tree(depth)).list().ofMaxSize(3).map(items -> {
      ArrayNode a = NODES.arrayNode();
      items.forEach(a::add);
      return a;
    });
  }

  private Arbitrary<JsonNode> scalars() {
    List<JsonNode> words = new ArrayList<>();
    for (String s : List.of("up", "drain", "maint", "down", "round_robin", "least_connections", "random",
        "consistent_hash", "", "\u0000", "1", "-1", "x".repeat(500))) {
      words.add(NODES.textNode(s));
    }
    return Arbitraries.oneOf(
        Arbitraries.of(words),
        Arbitraries.strings().ofMaxLength(10).map(NODES::textNode),
        Arbitraries.integers().map(NODES::numberNode),
        Arbitraries.longs().map(NODES::numberNode),
        Arbitraries.doubles().map(NODES::numberNode),
        Arbitraries.of(NODES.booleanNode(true), NODES.booleanNode(false), NODES.nullNode()));
  }
}
