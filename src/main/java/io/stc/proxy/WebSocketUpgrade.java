package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/** What the proxy needs to know of WebSocket: spotting an upgrade request, and saying goodbye on shutdown. */
final class WebSocketUpgrade {
  // Close frame, status 1001 "going away": unmasked from a server, masked (zero key) from a client.
  private static final byte[] GOING_AWAY_TO_CLIENT = {(byte) 0x88, 0x02, 0x03, (byte) 0xE9};
  private static final byte[] GOING_AWAY_TO_SERVER = {(byte) 0x88, (byte) 0x82, 0, 0, 0, 0, 0x03, (byte) 0xE9};

  private WebSocketUpgrade() {}

  /** Whether the request asks to switch to WebSocket (RFC 6455 4.1). */
  static boolean isRequested(HttpRequest request) {
    return isRequested(request.headers());
  }

  /** Whether a request with these header fields asks to switch to WebSocket. */
  static boolean isRequested(HttpHeaders h) {
    return h.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
        && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
  }

  static ByteBuf goingAwayFrame(boolean toServer) {
    return Unpooled.wrappedBuffer(toServer ? GOING_AWAY_TO_SERVER : GOING_AWAY_TO_CLIENT);
  }
}
