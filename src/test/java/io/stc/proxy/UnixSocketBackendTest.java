package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.StcServer;
import io.stc.config.StcConfig;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.testing.UnixHttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Backends on Unix domain sockets ({@code unix: /run/app.sock}, as gunicorn and Puma listen behind
 * nginx): requests reach them on every transport, kept connections are reused, health checks probe
 * them there.
 */
class UnixSocketBackendTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"io_uring", "epoll", "nio"})
  void requestsAndHealthChecksReachABackendOnASocketFileOverEveryTransport(String transport) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(!transport.equals("io_uring") || io.netty.channel.uring.IoUring.isAvailable());
    Path socket = dir.resolve("app.sock");
    try (UnixHttpServer app = new UnixHttpServer(socket)) {
      StcConfig cfg = StcConfig.defaults().withHost("127.0.0.1").withPort(0).withIoThreads(1).withTransport(transport)
          .withAdmin(StcConfig.Admin.defaults().withPort(0))
          .withStateDir(dir.resolve("state").toString())
          .withHealth(StcConfig.Health.defaults().withInterval(Duration.ofMillis(100)).withRise(1))
          .withBackends(List.of(io.stc.config.BackendSpec.parse("unix:" + socket)));
      StcServer stc = new StcServer(cfg);
      try {
        int port = stc.start();
        Backend b = stc.upstream().pool().find("unix:" + socket);
        await().atMost(Duration.ofSeconds(10)).until(() -> b.state() == BackendState.UP);
        assertThat(app.heads).anySatisfy(h -> assertThat(h).startsWith("GET /health HTTP/1.1\r\n").contains("\r\nhost: localhost\r\n"));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < 5; i++) {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/r" + i)).build(),
              HttpResponse.BodyHandlers.ofString());
          assertThat(r.statusCode()).isEqualTo(200);
          assertThat(r.body()).isEqualTo("unix /r" + i);
          assertThat(r.headers().firstValue("x-served-by")).contains("unix:" + socket);
        }
        // One kept connection served the five (the probes have their own).
        assertThat(java.util.stream.IntStream.range(0, 5).mapToObj(i -> app.connectionOf.get("/r" + i)).distinct()).hasSize(1);
      } finally {
        stc.close(Duration.ofSeconds(5));
      }
    }
  }
}
