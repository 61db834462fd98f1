package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.AddressRange;
import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestClient;
import io.stc.testing.RawBackend;
import io.stc.testing.RawHttp;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TestCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code access}: a client let in is proxied; one kept out gets 403 and nothing of its request reaches a backend. */
class AccessThroughProxyTest {
  static TestCluster cluster(RecordingBackend backend, StcConfig.Access access, String trusted) throws InterruptedException {
    TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withAccess(access)
        .withClientIp(new StcConfig.ClientIp(trusted == null ? List.of() : List.of(AddressRange.parse(trusted)), "X-Forwarded-For")));
    c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
    return c;
  }

  static StcConfig.Access access(List<String> allow, List<String> deny) {
    return new StcConfig.Access(allow.stream().map(AddressRange::parse).toList(), deny.stream().map(AddressRange::parse).toList());
  }

  static String get(int port, String forwardedFor) throws Exception {
    return RawHttp.exchange(port, "GET /in HTTP/1.1\r\nHost: x\r\n"
        + (forwardedFor == null ? "" : "X-Forwarded-For: " + forwardedFor + "\r\n") + "Connection: close\r\n\r\n");
  }

  @Test
  void aDeniedClientGets403AndNothingIsForwarded() throws Exception {
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = cluster(backend, access(List.of(), List.of("127.0.0.0/8")), null)) {
      assertThat(get(c.stc.port(), null)).startsWith("HTTP/1.1 403 Forbidden").contains("access denied");
      try (Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
        assertThat(h2.get("/h2").status()).isEqualTo(403);
      }
      assertThat(backend.requests).isEmpty();
      assertThat(c.stc.proxy().stats().failures(ProxyFailure.FORBIDDEN)).isEqualTo(2);
    }
  }

  @Test
  void anAllowListLetsInOnlyWhatItListsAndDenyWinsWithinIt() throws Exception {
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = cluster(backend, access(List.of("10.0.0.0/8"), List.of()), null)) {
      assertThat(get(c.stc.port(), null)).startsWith("HTTP/1.1 403");
      assertThat(backend.requests).isEmpty();
    }
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = cluster(backend, access(List.of("127.0.0.0/8"), List.of("127.0.0.1")), null)) {
      assertThat(get(c.stc.port(), null)).startsWith("HTTP/1.1 403");
    }
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = cluster(backend, access(List.of("127.0.0.0/8", "::1"), List.of("127.0.0.2")), null)) {
      assertThat(get(c.stc.port(), null)).startsWith("HTTP/1.1 200");
      assertThat(backend.requests).hasSize(1);
    }
  }

  @Test
  void behindATrustedProxyTheClientItNamesIsJudged() throws Exception {
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = cluster(backend, access(List.of("203.0.113.0/24"), List.of("203.0.113.66")), "127.0.0.0/8")) {
      int port = c.stc.port();
      assertThat(get(port, "203.0.113.7")).startsWith("HTTP/1.1 200");
      assertThat(get(port, "203.0.113.66")).startsWith("HTTP/1.1 403");
      // What a client made up on the left changes nothing: the hop the trusted proxy added decides.
      assertThat(get(port, "203.0.113.7, 198.51.100.1")).startsWith("HTTP/1.1 403");
      assertThat(get(port, null)).as("the proxy itself is not in the allow list").startsWith("HTTP/1.1 403");
      assertThat(backend.requests).hasSize(1);
    }
  }
}
