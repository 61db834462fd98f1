package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** X-Forwarded-For and the other fields stc sets, as it passes them on to HTTP/1.1 and to HTTP/2 backends alike. */
class ForwardedForTest {
  final Backend backend = new Backend("b", "127.0.0.1", 3001, 1, BackendState.UP);

  /** A request on its way from peer 10.0.0.1, as the writers see it. */
  record Forwarding(HttpRequest head, String scheme, String clientCert, String requestId, boolean fromTrustedProxy)
      implements ForwardedRequest {
    Forwarding(HttpRequest head, String scheme) {
      this(head, scheme, null, null, false);
    }

    Forwarding(HttpRequest head, String scheme, String clientCert, String requestId) {
      this(head, scheme, clientCert, requestId, false);
    }

    @Override
    public String peerIp() {
      return "10.0.0.1";
    }

    @Override
    public CharSequence forwardedHost() {
      return null;
    }

    @Override
    public AsciiString requestIdName() {
      return requestId == null ? null : AsciiString.cached("x-request-id");
    }

    @Override
    public boolean answeredExpect() {
      return false;
    }

    @Override
    public RequestTrace trace() {
      return null;
    }

    @Override
    public FieldEdits edits() {
      return null;
    }

    @Override
    public boolean upgradeRequested() {
      return false;
    }
  }

  String http1(ForwardedRequest r) {
    ByteBuf out = Unpooled.buffer();
    RequestHeadWriter.write(out, r, backend);
    try {
      return out.toString(StandardCharsets.ISO_8859_1);
    } finally {
      out.release();
    }
  }

  static HttpRequest request(String... forwardedFor) {
    HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x");
    req.headers().add("host", "shop.example");
    for (String f : forwardedFor) {
      req.headers().add("x-forwarded-for", f);
    }
    return req;
  }

  @Test
  void severalFieldsAreOneListInOrderAndTheClientGoesLast() {
    HttpRequest req = request("203.0.113.7", "198.51.100.2, 192.0.2.9");
    String head = http1(new Forwarding(req, "http"));
    assertThat(head).containsOnlyOnce("x-forwarded-for").contains("x-forwarded-for: 203.0.113.7, 198.51.100.2, 192.0.2.9, 10.0.0.1\r\n");
    assertThat(Http2RequestHeaders.of(new Forwarding(req, "http"), "http", backend).getAll("x-forwarded-for"))
        .extracting(CharSequence::toString).containsExactly("203.0.113.7, 198.51.100.2, 192.0.2.9, 10.0.0.1");
  }

  @Test
  void withoutOneTheClientIsTheList() {
    HttpRequest req = request();
    assertThat(Http2RequestHeaders.of(new Forwarding(req, "https"), "http", backend).get("x-forwarded-for").toString())
        .isEqualTo("10.0.0.1");
  }

  @Test
  void theClientCertificateIsStcsToSayNeverTheClients() {
    HttpRequest req = request();
    req.headers().add("X-Forwarded-Client-Cert", "Hash=00").add("X_Forwarded_Client_Cert", "Hash=01");
    String head = http1(new Forwarding(req, "https", "Hash=ab;Subject=\"CN=alice\"", null));
    assertThat(head).containsOnlyOnce("client-cert").doesNotContainIgnoringCase("client_cert")
        .contains("x-forwarded-client-cert: Hash=ab;Subject=\"CN=alice\"\r\n").doesNotContain("Hash=00").doesNotContain("Hash=01");
    assertThat(Http2RequestHeaders.of(new Forwarding(req, "https", "Hash=ab", null), "http", backend).getAll("x-forwarded-client-cert"))
        .extracting(CharSequence::toString).containsExactly("Hash=ab");
    assertThat(Http2RequestHeaders.of(new Forwarding(req, "https"), "http", backend).contains("x-forwarded-client-cert"))
        .isFalse();
  }

  @Test
  void theRequestIdIsStcsOnceInEitherSpellingOfTheName() {
    HttpRequest req = request();
    req.headers().add("X-Request-Id", "client-1").add("X_Request_ID", "client-2").add("x-request-idx", "other");
    String head = http1(new Forwarding(req, "http", null, "f00d"));
    assertThat(head).contains("x-request-id: f00d\r\n").doesNotContain("client-1").doesNotContain("client-2")
        .contains("x-request-idx: other\r\n");
    assertThat(Http2RequestHeaders.of(new Forwarding(req, "http", null, "f00d"), "http", backend).getAll("x-request-id"))
        .extracting(CharSequence::toString).containsExactly("f00d");
    // Off: the client's headers go through as any others.
    assertThat(http1(new Forwarding(req, "http"))).contains("X-Request-Id: client-1\r\n").contains("X_Request_ID: client-2\r\n");
  }

  @Test
  void rfc7239sForwardedGoesThroughFromATrustedProxyOnly() {
    HttpRequest req = request();
    req.headers().add("Forwarded", "for=192.0.2.1;proto=https;host=bank.example");
    assertThat(http1(new Forwarding(req, "http"))).doesNotContainIgnoringCase("forwarded: ").doesNotContain("bank.example");
    assertThat(Http2RequestHeaders.of(new Forwarding(req, "http"), "http", backend).contains("forwarded")).isFalse();
    assertThat(http1(new Forwarding(req, "http", null, null, true))).contains("Forwarded: for=192.0.2.1;proto=https;host=bank.example\r\n");
    assertThat(Http2RequestHeaders.of(new Forwarding(req, "http", null, null, true), "http", backend).get("forwarded").toString())
        .isEqualTo("for=192.0.2.1;proto=https;host=bank.example");
  }

  @Test
  void bothProtocolsGetTheSameFieldsBarHost() {
    HttpRequest req = request("192.0.2.1");
    req.headers().add("Connection", "keep-alive, X-Hop").add("X-Hop", "1").add("TE", "trailers").add("Accept", "*/*")
        .add("Transfer-Encoding", "chunked");
    Forwarding r = new Forwarding(req, "https", "Hash=ab", "id-1");
    String head = http1(r);
    java.util.List<String> h1 = new java.util.ArrayList<>();
    for (String line : head.split("\r\n")) {
      if (line.contains(": ")) {
        h1.add(line.substring(0, line.indexOf(':')).toLowerCase(java.util.Locale.ROOT) + "=" + line.substring(line.indexOf(':') + 2));
      }
    }
    java.util.List<String> h2 = new java.util.ArrayList<>();
    Http2RequestHeaders.of(r, "http", backend).forEach(e -> h2.add(e.getKey() + "=" + e.getValue()));
    assertThat(h1).containsExactly("host=shop.example", "accept=*/*", "transfer-encoding=chunked",
        "x-forwarded-for=192.0.2.1, 10.0.0.1", "x-forwarded-proto=https", "x-forwarded-host=shop.example",
        "x-forwarded-client-cert=Hash=ab", "x-request-id=id-1", "te=trailers");
    assertThat(h2).containsExactly(":method=GET", ":path=/x", ":scheme=http", ":authority=shop.example", "accept=*/*",
        "x-forwarded-for=192.0.2.1, 10.0.0.1", "x-forwarded-proto=https", "x-forwarded-host=shop.example",
        "x-forwarded-client-cert=Hash=ab", "x-request-id=id-1", "te=trailers");
  }
}
