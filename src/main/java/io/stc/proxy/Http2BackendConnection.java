package io.stc.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.stc.pool.Backend;
import java.util.ArrayDeque;

/**
 * One multiplexed HTTP/2 connection from an event loop to a backend: streams for links up to the
 * backend's {@code SETTINGS_MAX_CONCURRENT_STREAMS} (a second connection opens when this one is
 * full), and after a GOAWAY no new ones: it closes once its last stream has ended.
 */
final class Http2BackendConnection {
  /** Streams assumed allowed until the backend's SETTINGS say (RFC 9113 recommends at least 100). */
  static final int DEFAULT_MAX_STREAMS = 100;
  /** Never more streams than this on one connection, whatever the backend allows. */
  static final int MAX_STREAMS = 1000;

  private enum State { CONNECTING, READY, DRAINING, CLOSED }

  final Backend backend;
  private final LoopContext loop;
  private State state = State.CONNECTING;
  private Channel channel;
  private Http2FrameCodec codec;
  /** Streams open or about to open for links. */
  private int streams;
  private final ArrayDeque<Http2Link> pending = new ArrayDeque<>(4);

  Http2BackendConnection(Backend backend, LoopContext loop) {
    this.backend = backend;
    this.loop = loop;
  }

  /** Whether another stream may go on this connection now. */
  boolean hasRoom() {
    return (state == State.CONNECTING || state == State.READY) && streams < maxStreams();
  }

  private int maxStreams() {
    if (codec == null) {
      return DEFAULT_MAX_STREAMS;
    }
    return Math.min(MAX_STREAMS, codec.connection().local().maxActiveStreams());
  }

  /** A link for a new stream; it gets its channel when the stream is open. */
  Http2Link newLink(Exchange owner, byte[] servedByName, String scheme) {
    Http2Link link = new Http2Link(backend, loop, this, servedByName, scheme);
    link.owner = owner;
    streams++;
    if (state == State.READY) {
      open(link);
    } else {
      pending.add(link);
    }
    return link;
  }

  private void open(Http2Link link) {
    new Http2StreamChannelBootstrap(channel).open().addListener((Future<Http2StreamChannel> f) -> {
      if (!f.isSuccess()) {
        streams--;
        link.failedToOpen();
        return;
      }
      Http2StreamChannel stream = f.getNow();
      if (link.owner == null) {
        // The exchange moved on while the stream opened.
        stream.close();
        return;
      }
      link.opened(stream);
      link.owner.linkReady(link);
    });
  }

  /** The connection is up (and, over TLS, agreed on h2): open the streams waiting for it. */
  void ready(Channel ch, Http2FrameCodec codec) {
    this.channel = ch;
    this.codec = codec;
    if (state != State.CONNECTING) {
      return;
    }
    state = State.READY;
    ch.pipeline().addLast("h2-events", new Events());
    Http2Link link;
    while ((link = pending.poll()) != null) {
      if (link.owner == null) {
        streams--;
      } else {
        open(link);
      }
    }
  }

  /** The connection could not be made: every waiting link fails (and its exchange may retry). */
  void failed() {
    state = State.CLOSED;
    loop.forget(this);
    Http2Link link;
    while ((link = pending.poll()) != null) {
      streams--;
      link.failedToOpen();
    }
  }

  /** A link gave up before its stream opened. */
  void cancel(Http2Link link) {
    if (pending.remove(link)) {
      streams--;
    }
  }

  void streamClosed(Http2Link link) {
    streams--;
    if (state == State.DRAINING && streams <= 0) {
      channel.close();
    }
  }

  /** No new streams from now on (a GOAWAY, or the backend left the pool); closes once idle. */
  void drain() {
    if (state == State.CLOSED || state == State.DRAINING) {
      return;
    }
    state = State.DRAINING;
    loop.forget(this);
    if (streams <= 0 && channel != null) {
      channel.close();
    }
  }

  /** Closes now, streams and all. */
  void close() {
    state = State.CLOSED;
    if (channel != null) {
      channel.close();
    }
  }

  /** What the connection itself hears: GOAWAY, and its end. */
  private final class Events extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2GoAwayFrame) {
        // Streams up to its last id run to their end; none is opened here again.
        drain();
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      boolean wasOpen = state != State.CLOSED;
      state = State.CLOSED;
      if (wasOpen) {
        loop.forget(Http2BackendConnection.this);
      }
      Http2Link link;
      while ((link = pending.poll()) != null) {
        streams--;
        link.failedToOpen();
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
