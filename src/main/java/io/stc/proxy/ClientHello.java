package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What the listener needs from a TLS ClientHello before it picks a certificate: the host name the
 * client asked for (SNI) and whether it can verify an ECDSA signature, as HAProxy decides between
 * an ECDSA and an RSA certificate for the same name.
 *
 * @param serverName the SNI host name, lower case without a trailing dot, or null
 * @param ecdsaSignatures whether signature_algorithms is absent or names an ECDSA scheme
 * @param ecdsaSuite whether a TLS 1.2 ECDHE_ECDSA cipher suite the listener offers too is offered
 * @param tls13 whether supported_versions offers TLS 1.3 (whose suites do not name the key type)
 */
record ClientHello(String serverName, boolean ecdsaSignatures, boolean ecdsaSuite, boolean tls13) {
  /** Nothing readable: no name, and no claim that ECDSA works. */
  static final ClientHello NONE = new ClientHello(null, false, false, false);

  private static final int EXT_SERVER_NAME = 0;
  private static final int EXT_SIGNATURE_ALGORITHMS = 13;
  private static final int EXT_SUPPORTED_VERSIONS = 43;

  /** Whether an ECDSA certificate will do, when the server offers TLS 1.3 only if {@code serverTls13}. */
  boolean acceptsEcdsa(boolean serverTls13) {
    return ecdsaSignatures && ((tls13 && serverTls13) || ecdsaSuite);
  }

  /**
   * Reads a ClientHello handshake body (after its 4-byte handshake header).
   *
   * @return what it says, or {@link #NONE} when it is cut short or malformed
   */
  static ClientHello parse(ByteBuf hello) {
    try {
      return read(hello, hello.readerIndex(), hello.writerIndex());
    } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
      return NONE;
    }
  }

  private static ClientHello read(ByteBuf b, int at, int end) {
    at += 2 + 32; // client_version, random
    at += 1 + b.getUnsignedByte(at); // session_id
    int suitesLen = b.getUnsignedShort(at);
    at += 2;
    boolean ecdsaSuite = false;
    for (int i = at; i + 2 <= at + suitesLen; i += 2) {
      ecdsaSuite |= isEcdheEcdsa(b.getUnsignedShort(i));
    }
    at += suitesLen;
    at += 1 + b.getUnsignedByte(at); // compression_methods
    String name = null;
    Boolean ecdsaSignatures = null;
    boolean tls13 = false;
    if (at + 2 > end) {
      return new ClientHello(null, true, ecdsaSuite, false);
    }
    int extEnd = Math.min(end, at + 2 + b.getUnsignedShort(at));
    at += 2;
    while (at + 4 <= extEnd) {
      int type = b.getUnsignedShort(at);
      int len = b.getUnsignedShort(at + 2);
      int data = at + 4;
      if (data + len > extEnd) {
        throw new IllegalArgumentException("extension overruns the hello");
      }
      switch (type) {
        case EXT_SERVER_NAME -> name = serverName(b, data, data + len);
        case EXT_SIGNATURE_ALGORITHMS -> {
          boolean any = false;
          int listEnd = data + 2 + b.getUnsignedShort(data);
          for (int i = data + 2; i + 2 <= Math.min(listEnd, data + len); i += 2) {
            // ecdsa_secp256r1_sha256 (0x0403) and friends: TLS 1.2's (hash, ecdsa) pairs, which TLS 1.3 kept.
            int hash = b.getUnsignedByte(i);
            any |= b.getUnsignedByte(i + 1) == 3 && hash >= 2 && hash <= 6;
          }
          ecdsaSignatures = any;
        }
        case EXT_SUPPORTED_VERSIONS -> {
          int listEnd = Math.min(data + 1 + b.getUnsignedByte(data), data + len);
          for (int i = data + 1; i + 2 <= listEnd; i += 2) {
            tls13 |= b.getUnsignedShort(i) == 0x0304;
          }
        }
        default -> {
          // Not needed to pick a certificate.
        }
      }
      at = data + len;
    }
    // Without signature_algorithms, TLS 1.2 takes the suite's own algorithm: the suite decides.
    return new ClientHello(name, ecdsaSignatures == null || ecdsaSignatures, ecdsaSuite, tls13);
  }

  private static String serverName(ByteBuf b, int at, int end) {
    int listEnd = Math.min(end, at + 2 + b.getUnsignedShort(at));
    at += 2;
    while (at + 3 <= listEnd) {
      int kind = b.getUnsignedByte(at);
      int len = b.getUnsignedShort(at + 1);
      if (at + 3 + len > listEnd) {
        return null;
      }
      if (kind == 0 && len > 0 && len <= 255) {
        String host = b.toString(at + 3, len, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
      }
      at += 3 + len;
    }
    return null;
  }

  /**
   * The ECDHE_ECDSA suites the listener offers for TLS 1.2 (Http2SecurityUtil's list), by their IANA
   * numbers. Only these count: a client that offers ECDSA only with suites the listener refuses
   * (CBC, say) needs the RSA certificate.
   */
  private static boolean isEcdheEcdsa(int suite) {
    return suite == 0xc02b || suite == 0xc02c || suite == 0xcca9;
  }
}
