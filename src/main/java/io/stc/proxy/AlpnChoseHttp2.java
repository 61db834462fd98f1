package io.stc.proxy;

/**
 * An auto backend's TLS handshake settled on h2 for a connection meant for HTTP/1.1: not a failure
 * of the backend; the request goes to it again, as an HTTP/2 stream.
 */
final class AlpnChoseHttp2 extends Exception {
  static final AlpnChoseHttp2 INSTANCE = new AlpnChoseHttp2();

  private AlpnChoseHttp2() {
    super("ALPN chose h2", null, false, false);
  }
}
