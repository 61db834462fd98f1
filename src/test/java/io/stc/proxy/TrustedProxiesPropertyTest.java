package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.stc.config.AddressRange;
import io.stc.config.StcConfig;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever a client or a proxy writes in X-Forwarded-For or Forwarded, reading it never fails, never looks a name up, and names an address. */
class TrustedProxiesPropertyTest {
  final TrustedProxies trusted = new TrustedProxies(new StcConfig.ClientIp(
      List.of(AddressRange.parse("10.0.0.0/8"), AddressRange.parse("::1")), "X-Forwarded-For"));

  @Provide
  Arbitrary<String> entries() {
    Arbitrary<String> pieces = Arbitraries.oneOf(
        Arbitraries.of("10.0.0.1", "10.255.1.2:80", "203.0.113.7", "::1", "[::1]:443", "[2001:db8::7]", "2001:db8::7",
            "unknown", "evil.example", "localhost", "999.1.1.1", "1.2.3", "::ffff:10.0.0.9", "fe80::1%eth0", "[::1", "a:b:c", ""),
        Arbitraries.strings().withChars("0123456789abcdef:.[]%, ").ofMaxLength(40));
    return Combinators.combine(pieces.list().ofMaxSize(6), Arbitraries.of(",", ", ", " ,")).as((l, sep) -> String.join(sep, l));
  }

  @Property(tries = 2000)
  void theClientIsThePeerOrAnAddressFromTheList(@ForAll("entries") String value) {
    HttpHeaders h = new DefaultHttpHeaders(false).add("X-Forwarded-For", value);
    String client = trusted.clientBehind("10.0.0.5", h);
    assertThat(client.equals("10.0.0.5") || AddressRange.literal(client) != null).as(client).isTrue();
    assertThat(trusted.forwardedProto(h, "http")).isIn("http", "https");
  }

  final TrustedProxies rfc7239 = new TrustedProxies(new StcConfig.ClientIp(
      List.of(AddressRange.parse("10.0.0.0/8"), AddressRange.parse("::1")), "Forwarded"));

  @Provide
  Arbitrary<String> forwardedValues() {
    Arbitrary<String> pieces = Arbitraries.oneOf(
        Arbitraries.of("for=10.0.0.1", "for=\"[::1]:443\"", "for=203.0.113.7;proto=https", "For=unknown", "for=_x",
            "by=10.0.0.2", "host=\"a,b\"", "proto=http;for=\"10.2.3.4:80\"", "for=\"", "for=", "=x", ";;", "for=\"a\\\"b\""),
        Arbitraries.strings().withChars("for=\";,:.[]0123456789abcdef ").ofMaxLength(40));
    return Combinators.combine(pieces.list().ofMaxSize(6), Arbitraries.of(",", ", ", ";")).as((l, sep) -> String.join(sep, l));
  }

  @Property(tries = 2000)
  void anyForwardedValueNamesThePeerOrAnAddressFromIt(@ForAll("forwardedValues") String value) {
    HttpHeaders h = new DefaultHttpHeaders(false).add("Forwarded", value);
    String client = rfc7239.clientBehind("10.0.0.5", h);
    assertThat(client.equals("10.0.0.5") || AddressRange.literal(client) != null).as(client).isTrue();
    assertThat(rfc7239.forwardedProto(h, "http")).isIn("http", "https");
    rfc7239.forwardedHost(h);
  }
}
