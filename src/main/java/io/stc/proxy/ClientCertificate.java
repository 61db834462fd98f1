package io.stc.proxy;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.security.auth.x500.X500Principal;

/**
 * The certificate a client authenticated with (tls.client_auth), as backends are told of it: one
 * {@code X-Forwarded-Client-Cert} value in Envoy's format, {@code Hash=<SHA-256 of the DER, hex>;
 * Subject="<RFC 2253 DN>"}, then {@code URI=} and {@code DNS=} for each such subject alternative
 * name. Worked out once per connection, from the handshake; whatever a client sends under that
 * name itself never reaches a backend.
 */
final class ClientCertificate {
  static final String HEADER = "x-forwarded-client-cert";
  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;

  private ClientCertificate() {}

  /** The header's value for the connection's verified client certificate, or null when it has none (or no TLS). */
  static String of(Channel ch) {
    SslHandler ssl = ch.pipeline().get(SslHandler.class);
    if (ssl == null) {
      return null;
    }
    Certificate[] chain;
    try {
      chain = ssl.engine().getSession().getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
    return chain.length > 0 && chain[0] instanceof X509Certificate x ? header(x) : null;
  }

  static String header(X509Certificate cert) {
    StringBuilder sb = new StringBuilder(160);
    try {
      sb.append("Hash=").append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded())));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
    sb.append(";Subject=");
    quoted(sb, cert.getSubjectX500Principal().getName(X500Principal.RFC2253));
    Collection<List<?>> names;
    try {
      names = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      names = null;
    }
    if (names != null) {
      for (List<?> n : names) {
        int kind = (Integer) n.get(0);
        if (kind == SAN_URI || kind == SAN_DNS) {
          sb.append(kind == SAN_URI ? ";URI=" : ";DNS=");
          quoted(sb, String.valueOf(n.get(1)));
        }
      }
    }
    return sb.toString();
  }

  /** A value in double quotes when it holds a separator, with quotes and backslashes escaped; bytes a header may not carry dropped. */
  private static void quoted(StringBuilder sb, String value) {
    boolean quote = value.chars().anyMatch(c -> c == ',' || c == ';' || c == '=' || c == '"' || c == ' ');
    if (quote) {
      sb.append('"');
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c >= 0x7f) {
        continue;
      }
      if (c == '"' || c == '\\') {
        sb.append('\\');
      }
      sb.append(c);
    }
    if (quote) {
      sb.append('"');
    }
  }
}
