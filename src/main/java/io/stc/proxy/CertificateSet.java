package io.stc.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import io.stc.config.PemKeyPair;
import io.stc.config.TlsConfig;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's certificates at one moment, each built into its own context and found by the
 * name a client asks for: exact names first, then wildcards one label deep, else the default
 * (the first certificate). Where a name has both, an ECDSA certificate goes to clients that can
 * verify it and an RSA one to the others. Immutable: a reload builds a new set.
 */
final class CertificateSet {
  private static final Logger log = LoggerFactory.getLogger(CertificateSet.class);

  /** The certificates for one name: at most one of each key type. */
  private static final class Slot {
    SslContext ecdsa;
    SslContext rsa;

    SslContext pick(boolean ecdsaOk) {
      if (ecdsa != null && (ecdsaOk || rsa == null)) {
        return ecdsa;
      }
      return rsa;
    }
  }

  private final Map<String, Slot> exact;
  /** By the part after "*.": "*.example.com" is under "example.com". */
  private final Map<String, Slot> wildcard;
  private final Slot fallback;
  private final List<SslContext> contexts;
  private final boolean tls13;
  private final boolean resumption;

  private CertificateSet(
      Map<String, Slot> exact, Map<String, Slot> wildcard, Slot fallback, List<SslContext> contexts, boolean tls13, boolean resumption) {
    this.exact = exact;
    this.wildcard = wildcard;
    this.fallback = fallback;
    this.contexts = List.copyOf(contexts);
    this.tls13 = tls13;
    this.resumption = resumption;
  }

  /**
   * Reads every certificate file and builds its context.
   *
   * @param ticketKeys the session ticket keys for OpenSSL contexts, or null for none
   * @throws IllegalArgumentException naming a file that does not parse
   * @throws SSLException when the TLS library refuses a certificate or setting
   */
  static CertificateSet build(TlsConfig tls, SslProvider provider, OpenSslSessionTicketKey[] ticketKeys) throws SSLException {
    List<X509Certificate> clientCa = tls.clientAuth() == TlsConfig.ClientAuth.NONE || tls.clientCa() == null
        ? null : PemKeyPair.trusted(Path.of(tls.clientCa()));
    Map<String, Slot> exact = new HashMap<>();
    Map<String, Slot> wildcard = new HashMap<>();
    List<SslContext> contexts = new ArrayList<>();
    Slot fallback = null;
    for (TlsConfig.Certificate c : tls.certificates()) {
      PemKeyPair pair = PemKeyPair.read(Path.of(c.cert()), c.key() == null ? null : Path.of(c.key()));
      warnIfNotValidNow(c.cert(), pair.leaf());
      SslContext ctx = TlsContext.forListener(pair, tls, provider, clientCa);
      if (ctx instanceof OpenSslContext o) {
        OpenSslServerSessionContext sessions = (OpenSslServerSessionContext) o.sessionContext();
        if (!tls.sessions().resumption()) {
          // No cache; tickets are refused per connection (see newHandler).
          sessions.setSessionCacheEnabled(false);
        } else if (ticketKeys != null) {
          sessions.setTicketKeys(ticketKeys);
        }
      }
      contexts.add(ctx);
      boolean ecdsa = "EC".equals(pair.keyType());
      List<String> names = c.names().isEmpty() ? pair.dnsNames() : c.names();
      Slot first = null;
      for (String name : names) {
        Slot slot = name.startsWith("*.")
            ? wildcard.computeIfAbsent(name.substring(2), k -> new Slot())
            : exact.computeIfAbsent(name, k -> new Slot());
        put(slot, ecdsa, ctx);
        first = first == null ? slot : first;
      }
      if (fallback == null) {
        // The default: the first certificate, with its other-key-type sibling when one shares its first name.
        fallback = first != null ? first : new Slot();
        if (first == null) {
          put(fallback, ecdsa, ctx);
        }
      }
    }
    if (fallback == null) {
      throw new IllegalArgumentException("no listener certificate");
    }
    return new CertificateSet(exact, wildcard, fallback, contexts, tls.protocols().contains("TLSv1.3"), tls.sessions().resumption());
  }

  private static void put(Slot slot, boolean ecdsa, SslContext ctx) {
    if (ecdsa) {
      slot.ecdsa = slot.ecdsa == null ? ctx : slot.ecdsa;
    } else {
      slot.rsa = slot.rsa == null ? ctx : slot.rsa;
    }
  }

  private static void warnIfNotValidNow(String file, X509Certificate leaf) {
    Date now = new Date();
    if (now.after(leaf.getNotAfter())) {
      log.warn("TLS certificate {} expired on {}: clients will refuse it", file, leaf.getNotAfter().toInstant());
    } else if (now.before(leaf.getNotBefore())) {
      log.warn("TLS certificate {} is not valid before {}: clients will refuse it until then", file, leaf.getNotBefore().toInstant());
    }
  }

  /** A TLS handler for one connection on {@code ctx}, one of this set's contexts. */
  SslHandler newHandler(SslContext ctx, ByteBufAllocator alloc, long handshakeTimeoutMillis) {
    SslHandler h = ctx.newHandler(alloc);
    h.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
    if (!resumption && h.engine() instanceof ReferenceCountedOpenSslEngine e) {
      // Netty turns tickets on for each TLS 1.3 connection (BoringSSL resumes 1.3 by tickets only): off again.
      SSL.setOptions(e.sslPointer(), SSL.SSL_OP_NO_TICKET);
    }
    return h;
  }

  /** The only context, when there is one: no ClientHello needs reading then. */
  SslContext single() {
    return contexts.size() == 1 ? contexts.get(0) : null;
  }

  /** The context for a client's hello. */
  SslContext choose(ClientHello hello) {
    return slotFor(hello.serverName()).pick(hello.acceptsEcdsa(tls13));
  }

  private Slot slotFor(String name) {
    if (name == null) {
      return fallback;
    }
    Slot s = exact.get(name);
    if (s != null) {
      return s;
    }
    int dot = name.indexOf('.');
    if (dot > 0) {
      s = wildcard.get(name.substring(dot + 1));
      if (s != null) {
        return s;
      }
    }
    return fallback;
  }

  /** Every context, for new ticket keys. */
  void setTicketKeys(OpenSslSessionTicketKey[] keys) {
    for (SslContext ctx : contexts) {
      if (ctx instanceof OpenSslContext o) {
        ((OpenSslServerSessionContext) o.sessionContext()).setTicketKeys(keys);
      }
    }
  }
}
