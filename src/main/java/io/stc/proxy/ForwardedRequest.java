package io.stc.proxy;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;

/** What a backend link needs to know of a client's request to write it for a backend, whatever its protocol. */
interface ForwardedRequest {
  /** The head as the client sent it (never changed, so a retry writes it again as it came). */
  HttpRequest head();

  /** The peer's address, which X-Forwarded-For gains as this hop's. */
  String peerIp();

  /** X-Forwarded-Proto: the client's scheme, or what a trusted proxy said it was. */
  String scheme();

  /** X-Forwarded-Host as a trusted proxy said it, or null for the request's Host. */
  CharSequence forwardedHost();

  /** X-Forwarded-Client-Cert: the client's verified certificate, or null. */
  String clientCert();

  /** The request-ID header's name in lower case, or null when stc sets none. */
  AsciiString requestIdName();

  /** The request's ID, sent in {@link #requestIdName()}; null when stc sets none. */
  String requestId();

  /**
   * The request's trace ({@code tracing}): its fields, the current attempt's span as the backend's
   * parent, take the place of the client's; null when the client's go through as they came.
   */
  RequestTrace trace();

  /** The fields {@code headers.request} sets and removes, or null for none. */
  FieldEdits edits();

  /** The proxy answered the client's {@code Expect: 100-continue} itself. */
  boolean answeredExpect();

  /**
   * The peer is one of {@code client_ip.trusted_proxies}: its RFC 7239 {@code Forwarded} goes
   * through; anybody else's could claim a scheme and host to a backend that reads it, and is dropped.
   */
  boolean fromTrustedProxy();

  /** The client asks for WebSocket: its Upgrade and Connection headers go through. */
  boolean upgradeRequested();
}
