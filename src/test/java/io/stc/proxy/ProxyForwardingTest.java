package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stc.testing.RawHttp;
import io.stc.testing.TestCluster;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ProxyForwardingTest {
  static TestCluster cluster;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.of(3);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void roundRobinSpreadsEvenlyAndNamesTheBackend() throws Exception {
    Map<String, Integer> served = new HashMap<>();
    for (int i = 0; i < 90; i++) {
      HttpResponse<String> r = cluster.get("/items/" + i);
      assertThat(r.statusCode()).isEqualTo(200);
      String by = r.headers().firstValue("X-Served-By").orElseThrow();
      served.merge(by, 1, Integer::sum);
      JsonNode body = json.readTree(r.body());
      assertThat(body.get("path").asText()).isEqualTo("/items/" + i);
    }
    assertThat(served).containsOnlyKeys(cluster.id(0), cluster.id(1), cluster.id(2));
    assertThat(served.values()).containsOnly(30);
  }

  @Test
  void forwardsBodiesAndMethods() throws Exception {
    HttpResponse<String> r =
        cluster.http.send(
            HttpRequest.newBuilder(cluster.uri("/upload")).POST(HttpRequest.BodyPublishers.ofString("x".repeat(100_000))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = json.readTree(r.body());
    assertThat(body.get("method").asText()).isEqualTo("POST");
    assertThat(body.get("received").asLong()).isEqualTo(100_000);
  }

  @Test
  void dropsHopByHopHeadersAndAppendsForwardedFor() throws Exception {
    String response =
        RawHttp.exchange(
            cluster.stc.port(),
            "GET /headers HTTP/1.1\r\n"
                + "Host: shop.example\r\n"
                + "Connection: close, X-Hop\r\n"
                + "X-Hop: secret\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "Proxy-Connection: keep-alive\r\n"
                + "TE: trailers\r\n"
                + "X-Forwarded-For: 203.0.113.7\r\n"
                + "X-End-To-End: kept\r\n"
                + "\r\n");
    assertThat(response).startsWith("HTTP/1.1 200");
    JsonNode headers = json.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
    assertThat(headers.has("x-hop")).isFalse();
    assertThat(headers.has("keep-alive")).isFalse();
    assertThat(headers.has("proxy-connection")).isFalse();
    // TE is hop-by-hop, but that the client takes trailers goes on (gRPC relies on it).
    assertThat(headers.get("te").asText()).isEqualTo("trailers");
    assertThat(headers.path("connection").asText("")).doesNotContain("X-Hop");
    assertThat(headers.get("x-end-to-end").asText()).isEqualTo("kept");
    assertThat(headers.get("x-forwarded-for").asText()).isEqualTo("203.0.113.7, 127.0.0.1");
    assertThat(headers.get("x-forwarded-proto").asText()).isEqualTo("http");
    assertThat(headers.get("x-forwarded-host").asText()).isEqualTo("shop.example");
    assertThat(headers.get("host").asText()).isEqualTo("shop.example");
    assertThat(response).containsIgnoringCase("connection: close");
  }

  @Test
  void severalForwardedForFieldsAreOneListTheClientIsAddedTo() throws Exception {
    String response = RawHttp.exchange(cluster.stc.port(), "GET /headers HTTP/1.1\r\nHost: shop.example\r\n"
        + "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 198.51.100.2, 192.0.2.9\r\nConnection: close\r\n\r\n");
    JsonNode headers = json.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
    assertThat(headers.get("x-forwarded-for").asText()).isEqualTo("203.0.113.7, 198.51.100.2, 192.0.2.9, 127.0.0.1");
  }

  @Test
  void keepsClientConnectionsAlive() throws Exception {
    String twoRequests =
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    String response = RawHttp.exchange(cluster.stc.port(), twoRequests);
    // Both pipelined requests answered, in order, on one connection.
    assertThat(response.split("HTTP/1.1 200", -1)).hasSize(3);
    assertThat(response.indexOf("\"path\":\"/a\"")).isLessThan(response.indexOf("\"path\":\"/b\""));
  }

  @Test
  void malformedRequestIs400() throws Exception {
    String response = RawHttp.exchange(cluster.stc.port(), "THIS IS NOT HTTP\r\n\r\n");
    assertThat(response).startsWith("HTTP/1.1 400");
    assertThat(response).contains("\"reason\":\"bad_request\"");
  }

  @Test
  void oversizeHeadersAre431AndLongUrisAre414() throws Exception {
    // Twenty kilobytes of cookies (single sign-on sessions carry such) pass, as through nginx.
    String cookies = "GET / HTTP/1.1\r\nHost: x\r\nCookie: sso=" + "c".repeat(12_000) + "\r\nCookie: jwt=" + "j".repeat(8_000)
        + "\r\nConnection: close\r\n\r\n";
    assertThat(RawHttp.exchange(cluster.stc.port(), cookies)).startsWith("HTTP/1.1 200");
    String big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(40_000) + "\r\n\r\n";
    assertThat(RawHttp.exchange(cluster.stc.port(), big)).startsWith("HTTP/1.1 431");
    String longUri = "GET /" + "u".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    assertThat(RawHttp.exchange(cluster.stc.port(), longUri)).startsWith("HTTP/1.1 414");
    // The process is unharmed: a normal request still works.
    assertThat(cluster.get("/after").statusCode()).isEqualTo(200);
  }

  @Test
  void headRequestsHaveNoBody() throws Exception {
    String response = RawHttp.exchange(cluster.stc.port(), "HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(response).startsWith("HTTP/1.1 200");
    assertThat(response.substring(response.indexOf("\r\n\r\n") + 4)).isEmpty();
  }
}
