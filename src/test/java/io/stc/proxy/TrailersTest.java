package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.pool.BackendState;
import io.stc.testing.Http2TestClient;
import io.stc.testing.RawBackend;
import io.stc.testing.RawHttp;
import io.stc.testing.TestCluster;
import org.junit.jupiter.api.Test;

/** Trailers of a chunked HTTP/1.1 response reach HTTP/1.1 clients as chunk trailers and HTTP/2 clients as a trailing HEADERS frame. */
class TrailersTest {
  private static final String RESPONSE = "HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ntrailer: grpc-status, grpc-message\r\n"
      + "transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\ngrpc-status: 0\r\ngrpc-message: all good\r\n"
      + "content-length: 99\r\n\r\n";

  @Test
  void trailersReachBothKindsOfClient() throws Exception {
    try (RawBackend backend = new RawBackend(req -> RESPONSE);
        TestCluster c = TestCluster.of(0, RawBackend::alone)) {
      c.stc.upstream().add("raw", "127.0.0.1", backend.port(), 1, BackendState.UP);

      String h1 = RawHttp.exchange(c.stc.port(), "GET /t HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nConnection: close\r\n\r\n");
      assertThat(h1).startsWith("HTTP/1.1 200 ").contains("trailer: grpc-status, grpc-message\r\n")
          .endsWith("0\r\ngrpc-status: 0\r\ngrpc-message: all good\r\ncontent-length: 99\r\n\r\n");
      assertThat(backend.received.get(0)).contains("\r\nte: trailers\r\n");

      try (Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
        Http2TestClient.Response r = h2.get("/t");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("hello");
        assertThat(r.trailers()).isNotNull();
        assertThat(r.trailers().get("grpc-status").toString()).isEqualTo("0");
        assertThat(r.trailers().get("grpc-message").toString()).isEqualTo("all good");
        // A length among trailers means nothing once the body has ended: it does not travel as a field.
        assertThat(r.trailers().contains("content-length")).isFalse();
      }
    }
  }
}
