package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.stc.testing.TestCluster;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransportTest {
  private static final ObjectMapper json = new ObjectMapper();

  private static boolean available(String transport) {
    return switch (transport) {
      case "io_uring" -> IoUring.isAvailable();
      case "epoll" -> Epoll.isAvailable();
      default -> true;
    };
  }

  @ParameterizedTest
  @ValueSource(strings = {"io_uring", "epoll", "nio"})
  void eachTransportProxiesOverKeptAliveConnections(String transport) throws Exception {
    assumeTrue(available(transport), transport + " is not available on this machine");
    try (TestCluster cluster = TestCluster.of(2, c -> c.withTransport(transport))) {
      assertThat(cluster.stc.proxy().transportName()).isEqualTo(transport);
      Set<String> servedBy = new HashSet<>();
      for (int i = 0; i < 20; i++) {
        HttpResponse<String> r = cluster.get("/t/" + i);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json.readTree(r.body()).get("path").asText()).isEqualTo("/t/" + i);
        servedBy.add(r.headers().firstValue("X-Served-By").orElseThrow());
      }
      assertThat(servedBy).containsExactlyInAnyOrder(cluster.id(0), cluster.id(1));

      // A body larger than any socket buffer, so reads and writes come in many parts.
      HttpResponse<String> post = cluster.http.send(
          HttpRequest.newBuilder(cluster.uri("/upload"))
              .POST(HttpRequest.BodyPublishers.ofString("y".repeat(3_000_000)))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(200);
      assertThat(json.readTree(post.body()).get("received").asLong()).isEqualTo(3_000_000);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"io_uring", "epoll"})
  void aNamedTransportThatCannotRunSaysWhy(String transport) {
    assumeTrue(!available(transport), transport + " is available here, so there is nothing to refuse");
    assertThatThrownBy(() -> Transport.of(transport))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("transport " + transport + " is not available here: ");
  }

  @Test
  void autoTakesTheFastestAvailable() {
    String expected = IoUring.isAvailable() ? "io_uring" : Epoll.isAvailable() ? "epoll" : "nio";
    assertThat(Transport.of("auto").name()).isEqualTo(expected);
  }
}
