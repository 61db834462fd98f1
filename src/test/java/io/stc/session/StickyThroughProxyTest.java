package io.stc.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stc.config.AddressRange;
import io.stc.config.StcConfig;
import io.stc.config.StcConfig.Sticky;
import io.stc.config.StcConfig.Sticky.Mode;
import io.stc.testing.TestCluster;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Sticky sessions through the real proxy and real backends. */
class StickyThroughProxyTest {
  private static final Sticky COOKIE =
      new Sticky(Mode.COOKIE, "STC_SID", Duration.ofHours(1), 100_000, false, "proxy-test-secret-0123456789");

  private static HttpResponse<String> get(TestCluster cluster, String cookie) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(cluster.uri("/s")).timeout(Duration.ofSeconds(20));
    if (cookie != null) {
      r.header("Cookie", "other=1; " + cookie);
    }
    return cluster.http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String servedBy(HttpResponse<String> r) {
    assertThat(r.statusCode()).isEqualTo(200);
    return r.headers().firstValue("X-Served-By").orElseThrow();
  }

  @Test
  void aClientOnHttpsGetsASecureCookieHereOrBehindATrustedBalancer() throws Exception {
    try (TestCluster cluster = TestCluster.of(1, c -> c.withSticky(COOKIE).withClientIp(
        new StcConfig.ClientIp(List.of(AddressRange.parse("127.0.0.0/8")), "X-Forwarded-For")))) {
      HttpResponse<String> plain = get(cluster, null);
      assertThat(plain.headers().firstValue("Set-Cookie").orElseThrow()).endsWith("; SameSite=Lax");
      HttpResponse<String> tls = cluster.http.send(HttpRequest.newBuilder(cluster.uri("/s"))
          .header("X-Forwarded-Proto", "https").timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(tls.headers().firstValue("Set-Cookie").orElseThrow()).endsWith("; HttpOnly; SameSite=Lax; Secure");
    }
  }

  @Test
  void aCookieKeepsAClientOnOneBackendUntilItLeaves() throws Exception {
    try (TestCluster cluster = TestCluster.of(3, c -> c.withSticky(COOKIE))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.upstream().pool().availableCount() == 3);

      HttpResponse<String> first = get(cluster, null);
      String setCookie = first.headers().firstValue("Set-Cookie").orElseThrow();
      assertThat(setCookie).endsWith("; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax");
      String cookie = setCookie.substring(0, setCookie.indexOf(';'));
      String backend = servedBy(first);

      for (int i = 0; i < 9; i++) {
        HttpResponse<String> r = get(cluster, cookie);
        assertThat(servedBy(r)).isEqualTo(backend);
        assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
      }
      Set<String> withoutCookie = new HashSet<>();
      for (int i = 0; i < 6; i++) {
        withoutCookie.add(servedBy(get(cluster, null)));
      }
      assertThat(withoutCookie).hasSizeGreaterThan(1);
      assertThat(cluster.stc.sticky().sessions(cluster.stc.upstream().pool().find(backend))).isPositive();

      // Removed rather than set DOWN: the health checker would soon bring a DOWN backend back.
      cluster.stc.upstream().remove(backend);
      HttpResponse<String> moved = get(cluster, cookie);
      String next = servedBy(moved);
      assertThat(next).isNotEqualTo(backend);
      String newCookie = moved.headers().firstValue("Set-Cookie").orElseThrow();
      assertThat(servedBy(get(cluster, newCookie.substring(0, newCookie.indexOf(';'))))).isEqualTo(next);
    }
  }
}
