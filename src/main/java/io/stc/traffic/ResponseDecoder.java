package io.stc.traffic;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponseDecoder;

/**
 * Parses responses on a connection whose requests are written as raw bytes: without a request
 * encoder in the pipeline the decoder cannot see that a request was HEAD, so it is told here.
 */
final class ResponseDecoder extends HttpResponseDecoder {
  private final boolean head;

  ResponseDecoder(boolean head) {
    super(new HttpDecoderConfig().setValidateHeaders(false));
    this.head = head;
  }

  @Override
  protected boolean isContentAlwaysEmpty(HttpMessage msg) {
    return head || super.isContentAlwaysEmpty(msg);
  }
}
