package io.stc.proxy;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import io.stc.pool.Backend;

/**
 * A client's request head as HTTP/2 headers for a backend that speaks HTTP/2: the fields
 * {@link ForwardedFields} gives, less what HTTP/2 forbids (Host becomes {@code :authority}, no
 * framing or connection fields), names in lower case.
 */
final class Http2RequestHeaders {
  private Http2RequestHeaders() {}

  /** @param backendScheme the scheme of the connection to the backend ({@code :scheme}) */
  static Http2Headers of(ForwardedRequest r, String backendScheme, Backend backend) {
    HttpRequest req = r.head();
    Http2Headers out = new DefaultHttp2Headers(false, req.headers().size() + 5);
    String uri = req.uri();
    out.method(req.method().asciiName()).path(uri.isEmpty() ? "/" : uri).scheme(backendScheme);
    out.authority(ForwardedFields.write(r, backend, true, (name, value) -> out.add(AsciiString.of(name).toLowerCase(), value)));
    return out;
  }
}
