package io.stc.proxy;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponseDecoder;

/**
 * Decodes a backend's responses, told by the proxy when the request was a HEAD (whose response
 * has no body), and able to say whether bytes were left over after a response: a backend that
 * sent more than it announced must not have its connection reused.
 */
final class BackendResponseDecoder extends HttpResponseDecoder {
  private boolean headRequest;

  BackendResponseDecoder(HttpDecoderConfig config) {
    super(config);
  }

  void headRequest(boolean head) {
    this.headRequest = head;
  }

  @Override
  protected boolean isContentAlwaysEmpty(HttpMessage msg) {
    return headRequest || super.isContentAlwaysEmpty(msg);
  }

  /** Whether bytes beyond the last complete response are buffered. */
  boolean hasLeftover() {
    return actualReadableBytes() > 0;
  }
}
