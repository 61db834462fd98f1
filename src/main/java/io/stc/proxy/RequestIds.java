package io.stc.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.stc.config.StcConfig;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Gives each request its ID, as configured ({@code request_id}): a client's own when it may be kept
 * and is well formed, else 128 random bits in 32 hex digits, as nginx's {@code $request_id}.
 */
final class RequestIds {
  /** An ID longer than this is not kept: it would swell every log line and backend request. */
  static final int MAX_KEPT_LENGTH = 200;
  private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** The header's name as configured, or null when off. */
  private final String header;
  /** The same in lower case, as HTTP/2 and the request writers spell it. */
  private final AsciiString name;
  private final StcConfig.RequestId.Incoming incoming;
  private final boolean inResponse;

  RequestIds(StcConfig.RequestId config) {
    this.header = config.header();
    this.name = config.enabled() ? AsciiString.of(config.header()).toLowerCase() : null;
    this.incoming = config.incoming();
    this.inResponse = config.enabled() && config.response();
  }

  /** The lower-case header name, or null when stc sets no request ID. */
  AsciiString name() {
    return name;
  }

  /** The header's name as configured (for stc's own answers), or null. */
  String header() {
    return header;
  }

  /** Whether the client's response carries the ID too. */
  boolean inResponse() {
    return inResponse;
  }

  /**
   * The ID of a request with these headers, or null when off.
   *
   * @param trustedPeer the request came from one of {@code client_ip.trusted_proxies}
   */
  String idFor(HttpHeaders h, boolean trustedPeer) {
    if (name == null) {
      return null;
    }
    if (incoming == StcConfig.RequestId.Incoming.KEEP
        || (incoming == StcConfig.RequestId.Incoming.TRUSTED && trustedPeer)) {
      String own = h.get(name);
      // One field, well formed: two fields of it are two stories, and neither is kept.
      if (own != null && isWellFormed(own) && h.getAll(name).size() == 1) {
        return own;
      }
    }
    return generate();
  }

  /** A new ID, or null when off (for a request whose head could not be parsed). */
  String generateIfOn() {
    return name == null ? null : generate();
  }

  /**
   * Whether a client's ID may be kept: 1 to 200 characters of letters, digits and {@code +/=._:-},
   * which covers UUIDs, hex, base64 and trace IDs, and cannot break a log line, a header or a JSON string.
   */
  static boolean isWellFormed(CharSequence id) {
    int n = id.length();
    if (n == 0 || n > MAX_KEPT_LENGTH) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '/' || c == '=';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  static String generate() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    byte[] out = new byte[32];
    hex(random.nextLong(), out, 0);
    hex(random.nextLong(), out, 16);
    return new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static void hex(long v, byte[] out, int at) {
    for (int i = 15; i >= 0; i--) {
      out[at + i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
  }
}
