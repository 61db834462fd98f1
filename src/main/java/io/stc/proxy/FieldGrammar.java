package io.stc.proxy;

import io.netty.util.AsciiString;

/**
 * The byte classes of HTTP/1's grammar (RFC 9110 5.6, RFC 9112): which bytes may make a token (a
 * method, a field name, a transfer coding) and which may stand in a field value or a request
 * target. One table each, so every parser in the proxy draws the same lines.
 */
final class FieldGrammar {
  private static final boolean[] TCHAR = new boolean[256];
  private static final boolean[] FIELD_VALUE = new boolean[256];
  private static final boolean[] TARGET = new boolean[256];

  static {
    for (int c = '0'; c <= '9'; c++) {
      TCHAR[c] = true;
    }
    for (int c = 'a'; c <= 'z'; c++) {
      TCHAR[c] = true;
      TCHAR[c - 32] = true;
    }
    for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
      TCHAR[c] = true;
    }
    // field-vchar = VCHAR / obs-text, with SP and HTAB inside a value: never NUL, CR, LF or DEL.
    FIELD_VALUE['\t'] = true;
    for (int c = 0x20; c <= 0x7e; c++) {
      FIELD_VALUE[c] = true;
    }
    for (int c = 0x80; c <= 0xff; c++) {
      FIELD_VALUE[c] = true;
    }
    // A request target is visible ASCII; a fragment never belongs in one (RFC 9112 3.2).
    for (int c = 0x21; c <= 0x7e; c++) {
      TARGET[c] = c != '#';
    }
  }

  private FieldGrammar() {}

  /** Whether {@code s} is a token (a field name, a method): one or more tchars. */
  static boolean isToken(CharSequence s) {
    if (s.length() == 0) {
      return false;
    }
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (c > 0xff || !TCHAR[c]) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code s} may be a field's value: field-vchars, spaces and tabs, never CR, LF or NUL. */
  static boolean isValue(CharSequence s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (c > 0xff || !FIELD_VALUE[c]) {
        return false;
      }
    }
    return true;
  }

  static boolean isTchar(byte b) {
    return TCHAR[b & 0xff];
  }

  static boolean isFieldValue(byte b) {
    return FIELD_VALUE[b & 0xff];
  }

  static boolean isTarget(byte b) {
    return TARGET[b & 0xff];
  }

  static boolean isOws(byte b) {
    return b == ' ' || b == '\t';
  }

  static byte lower(byte b) {
    return b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
  }

  /** Whether {@code b[from, to)} is {@code lower} ignoring ASCII case ({@code lower} given in lower case). */
  static boolean equalsIgnoreCase(byte[] b, int from, int to, String lower) {
    if (to - from != lower.length()) {
      return false;
    }
    for (int i = 0; i < lower.length(); i++) {
      if (lower(b[from + i]) != lower.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether field name {@code b[from, to)} is {@code lower} with one or more of its dashes written
   * as underscores, ignoring ASCII case ({@code Transfer_Encoding} for {@code transfer-encoding}):
   * a different field to HTTP, but the same one to a CGI-style server, which turns both into
   * {@code HTTP_TRANSFER_ENCODING} (WSGI, PHP, many frameworks).
   */
  static boolean isUnderscoreForm(byte[] b, int from, int to, String lower) {
    if (to - from != lower.length()) {
      return false;
    }
    for (int i = from; i < to; i++) {
      if (b[i] == '_') {
        return isUnderscoreForm(new AsciiString(b, from, to - from, false), lower);
      }
    }
    return false;
  }

  /** {@link #isUnderscoreForm(byte[], int, int, String)} for a name held as characters. */
  static boolean isUnderscoreForm(CharSequence name, String lower) {
    if (name.length() != lower.length()) {
      return false;
    }
    boolean underscore = false;
    for (int i = 0; i < lower.length(); i++) {
      char c = name.charAt(i);
      c = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
      char l = lower.charAt(i);
      if (c == '_' && l == '-') {
        underscore = true;
      } else if (c != l) {
        return false;
      }
    }
    return underscore;
  }
}
