package io.stc.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayList;
import java.util.List;

/**
 * The streams of one client HTTP/2 connection, each a {@link ClientConnection} of its own with no
 * Netty channel behind it: this handler, after the frame codec, hands each stream its frames and
 * its events (writable again, closed), and writes what streams ask of the connection (resets,
 * window updates). A child channel per stream (Netty's multiplex handler) costs a pipeline, a
 * registration and a promise per frame for every request; HAProxy and nginx pay nothing like it.
 */
final class Http2ClientStreams extends ChannelInboundHandlerAdapter {
  private final ProxyServer proxy;
  private final Http2FrameCodec codec;
  private final String scheme;
  /** The connection is over a limit: every stream is answered 503. */
  private final boolean refuse;
  private final IntObjectHashMap<ClientConnection> open = new IntObjectHashMap<>();
  /** Streams' handlers whose streams closed, for the next streams to reuse. */
  private final java.util.ArrayDeque<ClientConnection> idle = new java.util.ArrayDeque<>();
  /** Streams that got frames during the connection's current read. */
  private final List<ClientConnection> readNow = new ArrayList<>(8);
  private ChannelHandlerContext ctx;
  private LoopContext loop;
  private String clientIp;

  Http2ClientStreams(ProxyServer proxy, Http2FrameCodec codec, String scheme, boolean refuse) {
    this.proxy = proxy;
    this.codec = codec;
    this.scheme = scheme;
    this.refuse = refuse;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.loop = proxy.loopContext(ctx.channel().eventLoop());
    this.clientIp = ClientConnection.clientIp(ctx.channel());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Http2HeadersFrame) && !(msg instanceof Http2DataFrame)) {
      // SETTINGS, PING, GOAWAY, window updates, resets (the stream's close follows): the codec's business.
      ReferenceCountUtil.release(msg);
      return;
    }
    Http2FrameStream stream = ((Http2StreamFrame) msg).stream();
    ClientConnection c = open.get(stream.id());
    if (c == null) {
      if (!(msg instanceof Http2HeadersFrame) || stream.state() == Http2Stream.State.CLOSED) {
        ReferenceCountUtil.release(msg);
        return;
      }
      c = idle.pollLast();
      if (c == null) {
        c = new ClientConnection(proxy, this, ctx, stream, scheme, refuse, loop, clientIp);
      } else {
        c.reuseFor(stream);
      }
      open.put(stream.id(), c);
    }
    if (!c.inRead) {
      readNow.add(c);
    }
    c.streamFrame(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // The codec flushes after this: window updates and answers go out in one write.
    for (int i = 0; i < readNow.size(); i++) {
      readNow.get(i).streamReadComplete();
    }
    readNow.clear();
    ctx.fireChannelReadComplete();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2FrameStreamEvent e) {
      Http2FrameStream stream = e.stream();
      if (e.type() == Http2FrameStreamEvent.Type.State) {
        if (stream.state() == Http2Stream.State.CLOSED) {
          ClientConnection c = open.remove(stream.id());
          if (c != null) {
            c.streamClosed();
            if (ctx.channel().isActive()) {
              idle.addLast(c);
            } else {
              c.connectionClosed();
            }
          }
        }
      } else {
        ClientConnection c = open.get(stream.id());
        if (c != null) {
          c.streamWritabilityChanged();
        }
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    // The codec closes every stream as the connection goes; any left are closed here.
    if (!open.isEmpty()) {
      List<ClientConnection> left = new ArrayList<>(open.values());
      open.clear();
      for (ClientConnection c : left) {
        c.streamClosed();
        c.connectionClosed();
      }
    }
    for (ClientConnection c; (c = idle.pollLast()) != null; ) {
      c.connectionClosed();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof Http2FrameStreamException e) {
      // A stream error the codec found in what the client sent (a Content-Length the DATA does not
      // match, a malformed trailer, a stream window overrun): the codec leaves the reset to the
      // stream's owner, and here that is this handler. Unreset, the stream would hang, holding one
      // of the connection's concurrent streams.
      reset(e.stream(), e.error());
    }
    ctx.fireExceptionCaught(cause);
  }

  /** Gives {@code bytes} of the stream's DATA back to the client's flow-control windows (the stream's and the connection's). */
  void consume(Http2FrameStream stream, int bytes) {
    if (bytes > 0 && stream.state() != Http2Stream.State.CLOSED) {
      ctx.write(new DefaultHttp2WindowUpdateFrame(bytes).stream(stream), ctx.voidPromise());
    }
  }

  /** Whether the stream may take more DATA now: its window has room and the connection's buffer too. */
  boolean isWritable(Http2FrameStream stream) {
    Http2Stream s = codec.connection().stream(stream.id());
    return s != null && ctx.channel().isWritable() && codec.connection().remote().flowController().isWritable(s);
  }

  /** Ends the stream with RST_STREAM unless it is closed already. */
  void reset(Http2FrameStream stream, Http2Error error) {
    if (stream.state() != Http2Stream.State.CLOSED) {
      ctx.writeAndFlush(new DefaultHttp2ResetFrame(error).stream(stream));
    }
  }
}
