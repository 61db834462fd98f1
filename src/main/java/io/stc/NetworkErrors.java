package io.stc;

import java.util.regex.Pattern;

/**
 * Socket errors in plain words: Netty's native transports report {@code bind(..) failed with
 * error(-98): Address already in use} and {@code finishConnect(..) failed with error(-111):
 * Connection refused: /127.0.0.1:1}; a user needs "address already in use" and "connection refused".
 */
public final class NetworkErrors {
  // "connect(..) failed: ", "bind(..) failed with error(-98): ", "finishConnect(..) failed with error(-111): "
  private static final Pattern NATIVE_CALL = Pattern.compile("\\b\\w+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: ");
  // The address Netty's AnnotatedConnectException appends: ": /127.0.0.1:1" or ": localhost/127.0.0.1:8080".
  private static final Pattern ADDRESS_SUFFIX = Pattern.compile(": [^\\s:/]*/[0-9A-Fa-f.:%\\[\\]]+:\\d+$");
  private static final String[] PHRASES = {
    "Connection refused", "Address already in use", "Connection reset by peer", "No route to host",
    "Network is unreachable", "Permission denied", "Cannot assign requested address", "Connection timed out",
  };

  private NetworkErrors() {}

  /** {@code message} without the native call, errno and trailing address, its error phrase in lower case. */
  public static String plain(String message) {
    if (message == null) {
      return "unknown error";
    }
    String m = NATIVE_CALL.matcher(message).replaceAll("");
    m = ADDRESS_SUFFIX.matcher(m).replaceAll("");
    for (String phrase : PHRASES) {
      m = m.replace(phrase, phrase.toLowerCase(java.util.Locale.ROOT));
    }
    return m;
  }

  /** The plain message of {@code t}, or its type when it has none. */
  public static String plain(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : plain(t.getMessage());
  }
}
