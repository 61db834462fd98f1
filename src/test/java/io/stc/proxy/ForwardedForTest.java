package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** X-Forwarded-For as stc passes it on, to HTTP/1.1 and to HTTP/2 backends alike. */
class ForwardedForTest {
  final Backend backend = new Backend("b", "127.0.0.1", 3001, 1, BackendState.UP);

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
    ByteBuf out = Unpooled.buffer();
    RequestHeadWriter.write(out, req, "10.0.0.1", "http", null, null, false, false, backend);
    String head = out.toString(StandardCharsets.ISO_8859_1);
    out.release();
    assertThat(head).containsOnlyOnce("x-forwarded-for").contains("x-forwarded-for: 203.0.113.7, 198.51.100.2, 192.0.2.9, 10.0.0.1\r\n");
    assertThat(Http2RequestHeaders.of(req, "10.0.0.1", "http", null, null, "http", false, backend).getAll("x-forwarded-for"))
        .extracting(CharSequence::toString).containsExactly("203.0.113.7, 198.51.100.2, 192.0.2.9, 10.0.0.1");
  }

  @Test
  void withoutOneTheClientIsTheList() {
    HttpRequest req = request();
    assertThat(Http2RequestHeaders.of(req, "10.0.0.1", "https", null, null, "http", false, backend).get("x-forwarded-for").toString())
        .isEqualTo("10.0.0.1");
  }

  @Test
  void theClientCertificateIsStcsToSayNeverTheClients() {
    HttpRequest req = request();
    req.headers().add("X-Forwarded-Client-Cert", "Hash=00").add("X_Forwarded_Client_Cert", "Hash=01");
    ByteBuf out = Unpooled.buffer();
    RequestHeadWriter.write(out, req, "10.0.0.1", "https", null, "Hash=ab;Subject=\"CN=alice\"", false, false, backend);
    String head = out.toString(StandardCharsets.ISO_8859_1);
    out.release();
    assertThat(head).containsOnlyOnce("client-cert").doesNotContainIgnoringCase("client_cert")
        .contains("x-forwarded-client-cert: Hash=ab;Subject=\"CN=alice\"\r\n").doesNotContain("Hash=00").doesNotContain("Hash=01");
    assertThat(Http2RequestHeaders.of(req, "10.0.0.1", "https", null, "Hash=ab", "http", false, backend).getAll("x-forwarded-client-cert"))
        .extracting(CharSequence::toString).containsExactly("Hash=ab");
    assertThat(Http2RequestHeaders.of(req, "10.0.0.1", "https", null, null, "http", false, backend).contains("x-forwarded-client-cert"))
        .isFalse();
  }
}
