package io.stc.session;

import io.netty.util.concurrent.FastThreadLocal;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed, stateless session cookie values {@code <backend id>.<issue time>.<signature>}: the issue
 * time is hex Unix seconds, the signature HMAC-SHA256 of everything before it, truncated to 128
 * bits, in unpadded base64url. Anyone holding the key can verify a value, so it survives restarts
 * and is shared by every instance configured with the same key.
 */
final class SessionCookie {
  /** Longer values are rejected before any work; backend ids are far shorter. */
  static final int MAX_VALUE_LENGTH = 512;
  static final int MIN_KEY_BYTES = 16;
  private static final int SIGNATURE_BYTES = 16;
  private static final int SIGNATURE_CHARS = 22;
  private static final int MAX_TIME_DIGITS = 12;
  private static final String ALGORITHM = "HmacSHA256";
  private static final char[] ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();
  private static final byte[] DIGITS = new byte[128];

  static {
    java.util.Arrays.fill(DIGITS, (byte) -1);
    for (int i = 0; i < ALPHABET.length; i++) {
      DIGITS[ALPHABET[i]] = (byte) i;
    }
  }

  private final SecretKeySpec key;
  // A Mac is costly to create and not thread-safe: one per event loop, reused for every request.
  private final FastThreadLocal<Signer> signers =
      new FastThreadLocal<>() {
        @Override
        protected Signer initialValue() {
          return new Signer(key);
        }
      };

  SessionCookie(byte[] key) {
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException("a sticky key needs at least " + MIN_KEY_BYTES + " bytes");
    }
    this.key = new SecretKeySpec(key, ALGORITHM);
    signers.get(); // fail now, not on the first request, if the JDK lacks HmacSHA256
  }

  /**
   * A value naming {@code backendId}, issued at {@code epochSeconds}; null when the id holds
   * characters a cookie value cannot carry (no reachable host name does).
   */
  String issue(String backendId, long epochSeconds) {
    String signed = backendId + '.' + Long.toHexString(epochSeconds);
    if (signed.length() + 1 + SIGNATURE_CHARS > MAX_VALUE_LENGTH) {
      return null;
    }
    for (int i = 0; i < signed.length(); i++) {
      if (!isCookieOctet(signed.charAt(i))) {
        return null;
      }
    }
    byte[] mac = signers.get().sign(signed, signed.length());
    StringBuilder out = new StringBuilder(signed.length() + 1 + SIGNATURE_CHARS).append(signed).append('.');
    encode(mac, out);
    return out.toString();
  }

  /**
   * The backend id in {@code value} when its signature is right and it was issued no longer than
   * {@code ttlSeconds} ago nor more than {@code skewSeconds} ahead of now; null otherwise.
   */
  String backendId(String value, long nowSeconds, long ttlSeconds, long skewSeconds) {
    long issued = issuedAt(value);
    if (issued < 0 || issued > nowSeconds + skewSeconds || nowSeconds - issued >= ttlSeconds) {
      return null;
    }
    int signatureDot = value.length() - SIGNATURE_CHARS - 1;
    Signer signer = signers.get();
    if (!decode(value, signatureDot + 1, signer.claimed)) {
      return null;
    }
    byte[] mac = signer.sign(value, signatureDot);
    if (mac == null) {
      return null;
    }
    // Constant time: how many leading bytes matched must not show in the response time.
    int diff = 0;
    for (int i = 0; i < SIGNATURE_BYTES; i++) {
      diff |= mac[i] ^ signer.claimed[i];
    }
    return diff == 0 ? value.substring(0, value.lastIndexOf('.', signatureDot - 1)) : null;
  }

  /** The issue time (Unix seconds) of a well-formed value, without checking its signature; -1 if malformed. */
  static long issuedAt(String value) {
    if (value == null || value.length() > MAX_VALUE_LENGTH || value.length() < SIGNATURE_CHARS + 4) {
      return -1;
    }
    int signatureDot = value.length() - SIGNATURE_CHARS - 1;
    if (value.charAt(signatureDot) != '.') {
      return -1;
    }
    int timeDot = value.lastIndexOf('.', signatureDot - 1);
    int digits = signatureDot - timeDot - 1;
    if (timeDot < 1 || digits < 1 || digits > MAX_TIME_DIGITS) {
      return -1;
    }
    long t = 0;
    for (int i = timeDot + 1; i < signatureDot; i++) {
      char c = value.charAt(i);
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) {
        return -1;
      }
      t = (t << 4) | d;
    }
    return t;
  }

  /** RFC 6265 cookie-octet: visible ASCII except {@code " , ; \}. */
  private static boolean isCookieOctet(char c) {
    return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
  }

  private static void encode(byte[] bytes, StringBuilder out) {
    int acc = 0;
    int bits = 0;
    for (int i = 0; i < SIGNATURE_BYTES; i++) {
      acc = (acc << 8) | (bytes[i] & 0xff);
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out.append(ALPHABET[(acc >> bits) & 63]);
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 0) {
      out.append(ALPHABET[(acc << (6 - bits)) & 63]);
    }
  }

  /** Decodes the canonical base64url signature from {@code from} to the end of {@code s} into {@code out}. */
  private static boolean decode(String s, int from, byte[] out) {
    int acc = 0;
    int bits = 0;
    int o = 0;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      int v = c < 128 ? DIGITS[c] : -1;
      if (v < 0) {
        return false;
      }
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[o++] = (byte) (acc >> bits);
        acc &= (1 << bits) - 1;
      }
    }
    // Leftover bits must be zero so each signature has exactly one spelling.
    return o == SIGNATURE_BYTES && acc == 0;
  }

  /** One thread's Mac and scratch buffers. */
  private static final class Signer {
    final Mac mac;
    final byte[] input = new byte[MAX_VALUE_LENGTH];
    final byte[] claimed = new byte[SIGNATURE_BYTES];

    Signer(SecretKeySpec key) {
      try {
        mac = Mac.getInstance(ALGORITHM);
        mac.init(key);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot sign sticky cookies: " + e.getMessage(), e);
      }
    }

    /** The MAC of the first {@code length} characters of {@code s}; null if they are not all cookie octets. */
    byte[] sign(String s, int length) {
      for (int i = 0; i < length; i++) {
        char c = s.charAt(i);
        if (!isCookieOctet(c)) {
          return null;
        }
        input[i] = (byte) c;
      }
      mac.update(input, 0, length);
      return mac.doFinal();
    }
  }
}
