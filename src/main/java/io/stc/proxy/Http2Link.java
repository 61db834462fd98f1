package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import io.stc.pool.Backend;
import java.util.Map;

/**
 * One stream of a multiplexed HTTP/2 connection to a backend: the request goes as HEADERS, DATA
 * and trailing HEADERS frames; the response comes back the same way and is handed to the exchange
 * as a head, body pieces and trailers. Flow control does the back-pressure: a stream whose
 * exchange stops reading stops returning window to the backend.
 */
final class Http2Link extends BackendLink {
  /** The connection the stream is (to be) on; a link waiting for one may move to another. */
  Http2BackendConnection connection;
  /** The link counts against its connection's streams (until {@link Http2BackendConnection#freeSlot}). */
  boolean holdsSlot;
  private final ResponseHead head;
  private final String backendScheme;
  private boolean headRequest;
  private boolean responded;
  private boolean ended;
  private boolean refused;
  /** The request's head was never written (the connection was going away): nothing else goes. */
  private boolean unsent;
  private HttpHeaders trailers;

  Http2Link(Backend backend, LoopContext loop, Http2BackendConnection connection, byte[] servedByName, String backendScheme) {
    super(backend, loop);
    this.connection = connection;
    this.head = new ResponseHead(servedByName);
    this.backendScheme = backendScheme;
  }

  /** Opens the stream (now, or when the connection is up); its exchange hears {@link Exchange#linkReady}. */
  void open() {
    connection.start(this);
  }

  /** The stream opened: the link is ready for its exchange. */
  void opened(Http2StreamChannel stream) {
    channel = stream;
    stream.pipeline().addLast(new Inbound());
  }

  @Override
  void writeHead(Exchange e) {
    if (connection.goingAway()) {
      // A new stream after the backend's GOAWAY would be a protocol error that takes the whole
      // connection, in-flight streams and all, down. This one never starts: it goes elsewhere.
      refused = true;
      unsent = true;
      channel.eventLoop().execute(channel::close);
      return;
    }
    Http2Headers headers = Http2RequestHeaders.of(
        e.request, e.clientIp(), e.scheme(), backendScheme, e.answeredExpect, backend);
    // A request without a body ends with its head. Should the stream not even start (the
    // connection closing, its stream limit), the backend never saw the request.
    channel.write(new DefaultHttp2HeadersFrame(headers, e.requestHasNoBody())).addListener(f -> {
      if (!f.isSuccess()) {
        refused = true;
      }
    });
  }

  @Override
  void writeBody(HttpContent content) {
    if (unsent) {
      content.release();
      return;
    }
    boolean last = content instanceof LastHttpContent;
    HttpHeaders t = last ? ((LastHttpContent) content).trailingHeaders() : null;
    boolean trailersFollow = t != null && !t.isEmpty();
    ByteBuf data = content.content();
    if (data.isReadable() || (last && !trailersFollow)) {
      channel.write(new DefaultHttp2DataFrame(data, last && !trailersFollow));
    } else {
      content.release();
    }
    if (trailersFollow) {
      channel.write(new DefaultHttp2HeadersFrame(HttpConversionUtil.toHttp2Headers(t, false), true));
    }
  }

  @Override
  void expect(boolean headRequest, boolean keepFraming) {
    this.headRequest = headRequest;
  }

  @Override
  HttpHeaders trailers() {
    return trailers;
  }

  @Override
  void release(boolean backendKeepsAlive) {
    // A stream serves one exchange; the connection stays for others.
    owner = null;
    connection.freeSlot(this);
    if (channel != null && channel.isActive()) {
      channel.close();
    }
  }

  @Override
  boolean refusedUnprocessed() {
    return refused;
  }

  @Override
  boolean isHttp2() {
    return true;
  }

  @Override
  void close() {
    Exchange o = owner;
    owner = null;
    if (channel != null) {
      connection.freeSlot(this);
    }
    if (channel != null && channel.isActive()) {
      // RST_STREAM(CANCEL) for a stream still open: the backend stops working on it.
      channel.close();
    } else if (channel == null && o != null) {
      connection.cancel(this);
    }
  }

  /** The backend's connection could not be opened, or closed before this stream opened. */
  void failedToOpen() {
    Exchange o = owner;
    owner = null;
    if (o != null) {
      o.onBackendClosed(this);
    }
  }

  /** Frames of this stream, kept off the link's own API. */
  private final class Inbound extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Exchange o = owner;
      if (o == null) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof Http2HeadersFrame h) {
        onHeaders(o, h);
      } else if (msg instanceof Http2DataFrame d) {
        ByteBuf data = d.content();
        if (data.isReadable()) {
          o.onResponseBody(Http2Link.this, data);
        } else {
          d.release();
        }
        if (d.isEndStream()) {
          end(o);
        }
      } else {
        ReferenceCountUtil.release(msg);
      }
    }

    private void onHeaders(Exchange o, Http2HeadersFrame h) {
      if (responded) {
        // Trailers: the end of the response.
        trailers = new DefaultHttpHeaders();
        for (Map.Entry<CharSequence, CharSequence> e : h.headers()) {
          if (e.getKey().length() > 0 && e.getKey().charAt(0) != ':') {
            trailers.add(e.getKey(), e.getValue());
          }
        }
        end(o);
        return;
      }
      if (!head.parseHttp2(h.headers())) {
        o.onBadResponse(Http2Link.this);
        return;
      }
      if (head.status < 200) {
        // Interim: passed on; the real head follows.
        o.onResponseHead(Http2Link.this, head);
        head.clear();
        return;
      }
      responded = true;
      headEndedStream = h.isEndStream();
      o.onResponseHead(Http2Link.this, head);
      if (h.isEndStream() && owner != null) {
        end(o);
      }
    }

    private void end(Exchange o) {
      ended = true;
      if (owner == o) {
        o.onResponseEnd(Http2Link.this);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      // Resets and GOAWAYs come as events, not reads: they are not flow-controlled.
      if (evt instanceof Http2ResetFrame r) {
        // Refused: the backend did nothing with it, so any request may go elsewhere.
        refused = !responded && r.errorCode() == Http2Error.REFUSED_STREAM.code();
        ctx.close();
        return;
      }
      if (evt instanceof Http2GoAwayFrame goAway) {
        // The connection goes away and this stream was past its last one: never processed.
        refused = !responded && ((Http2StreamChannel) ctx.channel()).stream().id() > goAway.lastStreamId();
        goAway.release();
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      Exchange o = owner;
      if (o != null) {
        o.flushToClient();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      Exchange o = owner;
      if (o != null) {
        o.backendWritabilityChanged();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!responded && connection.notProcessed(((Http2StreamChannel) ctx.channel()).stream().id())) {
        // Closed by a GOAWAY that did not cover it, or before its HEADERS left: never processed.
        refused = true;
      }
      connection.freeSlot(Http2Link.this);
      connection.streamClosed();
      Exchange o = owner;
      if (o != null && !ended) {
        owner = null;
        o.onBackendClosed(Http2Link.this);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
