package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.stc.config.AddressRange;
import io.stc.config.StcConfig;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
  final TrustedProxies trusted = new TrustedProxies(new StcConfig.ClientIp(
      List.of(AddressRange.parse("10.0.0.0/8"), AddressRange.parse("2001:db8::/32")), "X-Forwarded-For"));

  static HttpHeaders forwardedFor(String... values) {
    HttpHeaders h = new DefaultHttpHeaders();
    for (String v : values) {
      h.add("X-Forwarded-For", v);
    }
    return h;
  }

  @Test
  void onlyTrustedPeersMayNameAClient() throws Exception {
    assertThat(trusted.trusts(InetAddress.getByName("10.3.2.1"))).isTrue();
    assertThat(trusted.trusts(InetAddress.getByName("192.0.2.1"))).isFalse();
    assertThat(trusted.trusts(null)).isFalse();
    assertThat(new TrustedProxies(StcConfig.ClientIp.defaults()).trusts(InetAddress.getByName("127.0.0.1"))).isFalse();
  }

  @Test
  void theClientIsTheRightmostAddressNoTrustedProxyAdded() {
    // A client that sends its own X-Forwarded-For cannot choose what it is seen as: the hop the
    // trusted balancer added is to the right of anything it made up.
    assertThat(trusted.clientBehind("10.0.0.5", forwardedFor("1.1.1.1, 203.0.113.7"))).isEqualTo("203.0.113.7");
    assertThat(trusted.clientBehind("10.0.0.5", forwardedFor("1.1.1.1, 203.0.113.7, 10.9.9.9"))).isEqualTo("203.0.113.7");
    assertThat(trusted.clientBehind("10.0.0.5", forwardedFor("1.1.1.1", "203.0.113.7, 10.9.9.9"))).as("several fields, one list")
        .isEqualTo("203.0.113.7");
    assertThat(trusted.clientBehind("10.0.0.5", forwardedFor("10.1.1.1, 10.2.2.2"))).as("all trusted: the leftmost").isEqualTo("10.1.1.1");
    assertThat(trusted.clientBehind("10.0.0.5", new DefaultHttpHeaders())).as("nobody named: the peer").isEqualTo("10.0.0.5");
    assertThat(trusted.clientBehind("10.0.0.5", forwardedFor(",, ,"))).isEqualTo("10.0.0.5");
  }

  @Test
  void portsAndBracketsAreTakenOffAndGarbageStopsTheWalk() {
    assertThat(trusted.clientBehind("10.0.0.5", forwardedFor("203.0.113.7:51234"))).isEqualTo("203.0.113.7");
    assertThat(trusted.clientBehind("10.0.0.5", forwardedFor("[2001:db9::7]:443"))).isEqualTo("2001:db9::7");
    assertThat(trusted.clientBehind("10.0.0.5", forwardedFor("2001:db9::7"))).isEqualTo("2001:db9::7");
    // What a trusted hop vouched for is the furthest that can be believed.
    assertThat(trusted.clientBehind("10.0.0.5", forwardedFor("203.0.113.7, unknown, 10.1.1.1"))).isEqualTo("10.1.1.1");
    assertThat(trusted.clientBehind("10.0.0.5", forwardedFor("evil.example"))).isEqualTo("10.0.0.5");
  }

  @Test
  void theSchemeAndHostATrustedProxySaysAreItsLastEntries() {
    HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-Proto", "HTTPS").add("X-Forwarded-Host", "shop.example");
    assertThat(trusted.forwardedProto(h, "http")).isEqualTo("https");
    assertThat(trusted.forwardedHost(h)).isEqualTo("shop.example");
    HttpHeaders chained = new DefaultHttpHeaders().add("X-Forwarded-Proto", "https, http").add("X-Forwarded-Host", "a.example, b.example");
    assertThat(trusted.forwardedProto(chained, "https")).isEqualTo("http");
    assertThat(trusted.forwardedHost(chained)).isEqualTo("b.example");
    assertThat(trusted.forwardedProto(new DefaultHttpHeaders().add("X-Forwarded-Proto", "gopher"), "http")).isEqualTo("http");
    assertThat(trusted.forwardedProto(new DefaultHttpHeaders(), "https")).isEqualTo("https");
    assertThat(trusted.forwardedHost(new DefaultHttpHeaders())).isNull();
  }

  final TrustedProxies rfc7239 = new TrustedProxies(new StcConfig.ClientIp(
      List.of(AddressRange.parse("10.0.0.0/8"), AddressRange.parse("2001:db8::/32")), "Forwarded"));

  static HttpHeaders forwarded(String... values) {
    HttpHeaders h = new DefaultHttpHeaders();
    for (String v : values) {
      h.add("Forwarded", v);
    }
    return h;
  }

  @Test
  void rfc7239sForwardedIsReadHopByHopItsForNodesAsTheList() {
    assertThat(rfc7239.clientBehind("10.0.0.5", forwarded("for=1.1.1.1, for=203.0.113.7;proto=https"))).isEqualTo("203.0.113.7");
    assertThat(rfc7239.clientBehind("10.0.0.5", forwarded("for=192.0.2.60;proto=http;by=203.0.113.43", "For=\"[2001:db9:cafe::17]:4711\", for=10.1.1.1")))
        .as("RFC 7239's examples; names in any case, a quoted IPv6 node with its port, several fields").isEqualTo("2001:db9:cafe::17");
    assertThat(rfc7239.clientBehind("10.0.0.5", forwarded("for=\"203.0.113.7:51234\""))).isEqualTo("203.0.113.7");
    assertThat(rfc7239.clientBehind("10.0.0.5", forwarded("for=10.1.1.1;host=\"a,b;c\", for=10.2.2.2"))).as("all trusted: the leftmost; a quoted comma is no separator")
        .isEqualTo("10.1.1.1");
    // What a trusted hop vouched for is the furthest that can be believed.
    assertThat(rfc7239.clientBehind("10.0.0.5", forwarded("for=203.0.113.7, for=unknown, for=10.1.1.1"))).isEqualTo("10.1.1.1");
    assertThat(rfc7239.clientBehind("10.0.0.5", forwarded("for=203.0.113.7, for=_hidden, for=10.1.1.1"))).isEqualTo("10.1.1.1");
    assertThat(rfc7239.clientBehind("10.0.0.5", forwarded("for=203.0.113.7, by=10.9.9.9"))).as("a hop that names no for").isEqualTo("10.0.0.5");
    assertThat(rfc7239.clientBehind("10.0.0.5", forwarded("for=\"203.0.113.7"))).as("an unterminated quote: nothing placed").isEqualTo("10.0.0.5");
    assertThat(rfc7239.clientBehind("10.0.0.5", forwarded("203.0.113.7"))).as("no parameter name").isEqualTo("10.0.0.5");
    // X-Forwarded-For means nothing in this mode.
    assertThat(rfc7239.clientBehind("10.0.0.5", forwardedFor("203.0.113.7"))).isEqualTo("10.0.0.5");
  }

  @Test
  void withForwardedTheNearestHopSaysTheSchemeAndHost() {
    HttpHeaders h = forwarded("for=1.1.1.1;proto=http;host=evil.example, for=203.0.113.7;proto=https;host=\"shop.example:8443\"");
    h.add("X-Forwarded-Proto", "http").add("X-Forwarded-Host", "other.example");
    assertThat(rfc7239.forwardedProto(h, "http")).isEqualTo("https");
    assertThat(rfc7239.forwardedHost(h)).isEqualTo("shop.example:8443");
    assertThat(rfc7239.forwardedProto(forwarded("for=203.0.113.7"), "https")).isEqualTo("https");
    assertThat(rfc7239.forwardedHost(forwarded("for=203.0.113.7"))).isNull();
  }
}
