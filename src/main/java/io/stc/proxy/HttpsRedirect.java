package io.stc.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.stc.Clock;
import java.util.regex.Pattern;

/**
 * The plain listener of {@code tls.redirect_port}: every request is answered 308 Permanent Redirect
 * to the same target on the TLS listener (the method and body kept, as 308 says), and nothing is
 * proxied. Requests are read by the proxy's own decoder, with its limits and timeouts.
 */
final class HttpsRedirect extends ChannelInboundHandlerAdapter {
  /** A host name or an IPv4 address, or an IPv6 address in brackets, with an optional port. */
  private static final Pattern HOST = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?");

  private final int tlsPort;
  private final ClientTimeouts timeouts;
  private final Clock clock;
  /** The error pages in force (a reload may change them), for the requests answered 4xx here. */
  private final java.util.function.Supplier<io.stc.config.ErrorPages> errorPages;

  HttpsRedirect(int tlsPort, ClientTimeouts timeouts, Clock clock, java.util.function.Supplier<io.stc.config.ErrorPages> errorPages) {
    this.tlsPort = tlsPort;
    this.timeouts = timeouts;
    this.clock = clock;
    this.errorPages = errorPages;
  }

  /** stc's own answer of {@code f}, with its {@code error_pages} body when one is set; the connection closes after it. */
  private FullHttpResponse refusal(ProxyFailure f) {
    return f.response(0, true, false, false, errorPages.get().page(f.status().code()));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest req) {
        answer(ctx, req);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void answer(ChannelHandlerContext ctx, HttpRequest req) {
    timeouts.headReceived();
    if (req.decoderResult().isFailure()) {
      ProxyFailure f = req.decoderResult().cause() instanceof RequestRejection r ? r.failure() : ProxyFailure.BAD_REQUEST;
      ctx.writeAndFlush(ResponseBytes.encode(refusal(f), ctx.alloc()))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    String location = location(req.headers().get(HttpHeaderNames.HOST), req.uri(), tlsPort);
    // After a request to switch protocols the decoder waits for the answer before reading on: close instead.
    boolean keep = HttpUtil.isKeepAlive(req) && location != null && !req.headers().contains(HttpHeaderNames.UPGRADE);
    FullHttpResponse r;
    if (location == null) {
      r = refusal(ProxyFailure.BAD_REQUEST);
    } else {
      r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PERMANENT_REDIRECT, Unpooled.EMPTY_BUFFER);
      r.headers().set(HttpHeaderNames.LOCATION, location).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      if (!keep) {
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      } else if (req.protocolVersion() == HttpVersion.HTTP_1_0) {
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      }
    }
    var written = ctx.writeAndFlush(ResponseBytes.encode(r, ctx.alloc()));
    if (keep) {
      timeouts.exchangeEnded(clock.nanos());
    } else {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  /**
   * {@code https://HOST[:tlsPort]TARGET} for a request's Host and target, or null when the Host is
   * missing or not a host (the answer is then 400: a redirect must not go where nobody asked).
   */
  static String location(String host, String target, int tlsPort) {
    if (host == null || !HOST.matcher(host).matches()) {
      return null;
    }
    String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
        : host.indexOf(':') >= 0 ? host.substring(0, host.indexOf(':')) : host;
    String path = target;
    if (!path.startsWith("/")) {
      // The absolute form (a request meant for a proxy) keeps its path; "*" (OPTIONS) is the root.
      int scheme = path.indexOf("://");
      int slash = scheme < 0 ? -1 : path.indexOf('/', scheme + 3);
      path = slash < 0 ? "/" : path.substring(slash);
    }
    return "https://" + name + (tlsPort == 443 ? "" : ":" + tlsPort) + path;
  }
}
