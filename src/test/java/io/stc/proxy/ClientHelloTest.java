package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class ClientHelloTest {

  /** The ClientHello body a JDK client sends, without the record and handshake headers. */
  private static ByteBuf hello(String sni, String[] protocols, String[] suites) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, null, null);
    SSLEngine engine = ctx.createSSLEngine("ignored", 443);
    engine.setUseClientMode(true);
    SSLParameters p = engine.getSSLParameters();
    p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
    p.setProtocols(protocols);
    if (suites != null) {
      p.setCipherSuites(suites);
    }
    engine.setSSLParameters(p);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    ByteBuf record = Unpooled.wrappedBuffer(out);
    // 5 bytes of record header, 4 of handshake header.
    return record.slice(9, record.readableBytes() - 9);
  }

  /**
   * A TLS 1.3 hello as a client limited to the given signature schemes sends it (the JDK 17 client
   * cannot be limited per connection): TLS_AES_128_GCM_SHA256, signature_algorithms, supported_versions.
   */
  private static ByteBuf handMade(int... schemes) {
    ByteBuf b = Unpooled.buffer();
    b.writeShort(0x0303).writeZero(32).writeByte(0);
    b.writeShort(2).writeShort(0x1301);
    b.writeByte(1).writeByte(0);
    ByteBuf ext = Unpooled.buffer();
    ext.writeShort(13).writeShort(2 + 2 * schemes.length).writeShort(2 * schemes.length);
    for (int s : schemes) {
      ext.writeShort(s);
    }
    ext.writeShort(43).writeShort(3).writeByte(2).writeShort(0x0304);
    b.writeShort(ext.readableBytes()).writeBytes(ext);
    return b;
  }

  @Test
  void readsTheNameAndWhetherEcdsaWillDo() throws Exception {
    ClientHello modern = ClientHello.parse(hello("API.Example.com", new String[] {"TLSv1.3", "TLSv1.2"}, null));
    assertThat(modern.serverName()).isEqualTo("api.example.com");
    assertThat(modern.tls13()).isTrue();
    assertThat(modern.acceptsEcdsa(true)).isTrue();

    ClientHello noName = ClientHello.parse(hello(null, new String[] {"TLSv1.2"}, null));
    assertThat(noName.serverName()).isNull();
    assertThat(noName.tls13()).isFalse();
    assertThat(noName.acceptsEcdsa(true)).isTrue();
  }

  @Test
  void rsaOnlyClientsGetTheRsaCertificate() throws Exception {
    ClientHello rsaSuites = ClientHello.parse(hello("a.test", new String[] {"TLSv1.2"},
        new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}));
    assertThat(rsaSuites.acceptsEcdsa(true)).isFalse();

    // ECDSA offered only with a suite the listener does not have (CBC): RSA it is.
    ClientHello cbcOnly = ClientHello.parse(hello("a.test", new String[] {"TLSv1.2"},
        new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}));
    assertThat(cbcOnly.acceptsEcdsa(true)).isFalse();

    ClientHello rsaSignatures = ClientHello.parse(handMade(0x0804, 0x0401));
    assertThat(rsaSignatures.ecdsaSignatures()).isFalse();
    assertThat(rsaSignatures.acceptsEcdsa(true)).isFalse();
    assertThat(ClientHello.parse(handMade(0x0804, 0x0403)).acceptsEcdsa(true)).isTrue();

    // A TLS 1.3 client's suites say nothing about keys: if the listener stops at 1.2, its 1.2 suites decide.
    ClientHello tls13Only = ClientHello.parse(hello("a.test", new String[] {"TLSv1.3"}, null));
    assertThat(tls13Only.acceptsEcdsa(true)).isTrue();
    assertThat(tls13Only.acceptsEcdsa(false)).isFalse();
  }

  @Property(tries = 300)
  void garbageNeverThrows(@ForAll byte[] bytes) {
    ClientHello h = ClientHello.parse(Unpooled.wrappedBuffer(bytes));
    assertThat(h).isNotNull();
  }
}
