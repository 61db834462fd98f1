package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.handler.codec.http2.DefaultHttp2LocalFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2LocalFlowController;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.ArrayList;
import java.util.List;

/**
 * Netty's HTTP/2 connection handler with the writes stc's own stream objects make on it (HEADERS,
 * DATA, resets, window given back), for a connection whose frames a listener hands to those objects
 * directly: {@link Http2ClientStreams} on clients' connections, {@link Http2BackendStreams} on backends'.
 */
abstract class Http2StreamsHandler extends Http2ConnectionHandler {
  /** A write to a stream that is closed or has sent its end; no stack trace, it is routine. */
  private static final IllegalStateException STREAM_DONE = new IllegalStateException("HTTP/2 stream closed") {
    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  };

  /**
   * What a peer may send on the connection before its window is refilled. The connection's window
   * refills as data arrives, whatever the streams hold (so one stream's stalled reader never stalls
   * the others); each stream's own window bounds what stc keeps for it.
   */
  static final int CONNECTION_WINDOW = 16 << 20;
  /**
   * A window is given back once a quarter of it was taken (Netty's default waits for half): a peer
   * then keeps three quarters of its window in flight, where it would keep half, and the round trip
   * that {@link Http2ReceiveWindow} measures shows when the window is what holds it back.
   */
  private static final float WINDOW_UPDATE_RATIO = 0.75f;

  /** What acts on a stream's frames once the connection's read has ended, so that a read's frames go on in one flush. */
  interface StreamReader {
    /** The connection's current read ended. */
    void streamReadComplete();
  }

  /** The connection's place in its pipeline; set once the handler is added. */
  ChannelHandlerContext ctx;
  /** Streams that got frames during the connection's current read. */
  private final List<StreamReader> readNow = new ArrayList<>(8);
  /** A flush is asked for and waits for the end of the event loop's current round of I/O. */
  private boolean flushDue;
  private final Runnable dueFlush = () -> {
    if (flushDue) {
      flush(ctx);
    }
  };

  /** The size the peer's streams' windows should have, measured on this connection. */
  private final Http2ReceiveWindow receiveWindow = new Http2ReceiveWindow();
  /** How much of its loop's {@link Http2WindowBudget} a stream's window holds, as a property of Netty's stream. */
  private final Http2Connection.PropertyKey grantKey;

  Http2StreamsHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
      boolean decoupleCloseAndGoAway, boolean flushPreface) {
    super(decoder, encoder, settings, decoupleCloseAndGoAway, flushPreface);
    grantKey = connection().newKey();
    connection().addListener(new Http2ConnectionAdapter() {
      @Override
      public void onStreamClosed(Http2Stream stream) {
        Integer granted = stream.removeProperty(grantKey);
        if (granted != null) {
          loopContext().windowBudget.give(granted);
        }
      }
    });
  }

  /**
   * A connection whose window refills as data arrives; each stream's window is the only bound on
   * what a peer sends ahead ({@link #CONNECTION_WINDOW}). Set before the codec is built.
   */
  static void refillConnectionWindow(Http2Connection connection) {
    connection.local().flowController(new DefaultHttp2LocalFlowController(connection, WINDOW_UPDATE_RATIO, true));
  }

  /** The event loop's context this connection runs on. */
  abstract LoopContext loopContext();

  /** Opens the connection's window to {@link #CONNECTION_WINDOW}; call once, after the preface went out. */
  void widenConnectionWindow(ChannelHandlerContext ctx) {
    Http2Stream connectionStream = connection().connectionStream();
    try {
      decoder().flowController().incrementWindowSize(connectionStream,
          CONNECTION_WINDOW - decoder().flowController().initialWindowSize(connectionStream));
      flush(ctx);
    } catch (Http2Exception e) {
      onError(ctx, true, e);
    }
  }

  /**
   * {@code bytes} of DATA (padding included) arrived on the connection: they measure what a round
   * trip carries, with a measuring PING now and then ({@link Http2ReceiveWindow#received}).
   */
  void dataReceived(int bytes) {
    if (receiveWindow.received(bytes)) {
      encoder().writePing(ctx, false, Http2ReceiveWindow.PING, ctx.newPromise());
    }
  }

  /**
   * A PING the peer acknowledged. When stc's measuring PING says the windows should grow, the
   * streams that grew before and hold no DATA unread grow now, a round trip sooner than at their
   * next DATA; streams that never sent much (a channel's many waiting calls) are left alone.
   */
  void pingAcknowledged(long data) {
    if (data != Http2ReceiveWindow.PING || !receiveWindow.acknowledged()) {
      return;
    }
    Http2LocalFlowController flow = decoder().flowController();
    try {
      connection().forEachActiveStream(stream -> {
        if (stream.getProperty(grantKey) != null && flow.unconsumedBytes(stream) == 0) {
          keepingUp(stream);
        }
        return true;
      });
    } catch (Http2Exception e) {
      onError(ctx, true, e);
    }
  }

  /**
   * The stream's DATA is taken on as fast as it comes: its window grows to what the connection's
   * round trip needs, as far as the loop's budget allows. A stream whose reader fell behind keeps
   * the window it has, so what stc holds for it stays what it was.
   */
  void keepingUp(Http2Stream stream) {
    Http2LocalFlowController flow = decoder().flowController();
    int more = receiveWindow.window() - flow.initialWindowSize(stream);
    if (more <= 0 || stream.state() != Http2Stream.State.OPEN && stream.state() != Http2Stream.State.HALF_CLOSED_LOCAL) {
      return;
    }
    int got = loopContext().windowBudget.take(more);
    if (got == 0) {
      return;
    }
    Integer before = stream.getProperty(grantKey);
    stream.setProperty(grantKey, before == null ? got : before + got);
    try {
      flow.incrementWindowSize(stream, got);
    } catch (Http2Exception e) {
      onError(ctx, true, e);
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    super.handlerAdded(ctx);
  }

  /** {@code reader} got frames in the current read: it hears when the read ends (once, however many it got). */
  void readDuring(StreamReader reader) {
    readNow.add(reader);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    // What the streams got goes on first; then the connection flushes window updates and its own
    // frames in one write.
    for (int i = 0; i < readNow.size(); i++) {
      readNow.get(i).streamReadComplete();
    }
    readNow.clear();
    super.channelReadComplete(ctx);
  }

  /** Gives {@code bytes} of the stream's DATA back to the peer's flow-control windows (the stream's and the connection's); flushed later. */
  void consume(Http2Stream stream, int bytes) {
    if (bytes > 0 && stream.state() != Http2Stream.State.CLOSED) {
      try {
        decoder().flowController().consumeBytes(stream, bytes);
      } catch (Http2Exception e) {
        onError(ctx, true, e);
      }
    }
  }

  /** Whether the stream may take more DATA now: its window has room and the connection's buffer too. */
  boolean isWritable(Http2Stream stream) {
    return stream.state() != Http2Stream.State.CLOSED && ctx.channel().isWritable()
        && connection().remote().flowController().isWritable(stream);
  }

  /** Writes a HEADERS frame on the stream (not flushed); fails, writing nothing, when the stream is done sending. */
  ChannelFuture writeHeaders(Http2Stream stream, Http2Headers headers, boolean endStream) {
    if (!sending(stream)) {
      return ctx.newFailedFuture(STREAM_DONE);
    }
    return encoder().writeHeaders(ctx, stream.id(), headers, 0, endStream, ctx.newPromise());
  }

  /** Writes a DATA frame on the stream as its window allows (not flushed); fails, releasing it, when the stream is done sending. */
  ChannelFuture writeData(Http2Stream stream, ByteBuf data, boolean endStream) {
    if (!sending(stream)) {
      data.release();
      return ctx.newFailedFuture(STREAM_DONE);
    }
    return encoder().writeData(ctx, stream.id(), data, 0, endStream, ctx.newPromise());
  }

  /**
   * Whether frames may still be sent on the stream. Netty's encoder takes a write to a stream in
   * any other state for a connection error and closes the whole connection with GOAWAY; a stream
   * the peer reset a moment ago must cost no other stream anything.
   */
  private static boolean sending(Http2Stream stream) {
    Http2Stream.State state = stream.state();
    return state == Http2Stream.State.OPEN || state == Http2Stream.State.HALF_CLOSED_REMOTE;
  }

  /**
   * Sends what the streams wrote, as far as the peer's windows let it go, once the event loop's
   * current round of I/O is done: the answers of several backends read in one round then leave in
   * one write, where each used to cost the kernel a send of its own (and the client a receive).
   */
  void flush() {
    if (flushDue) {
      return;
    }
    EventLoop loop = ctx.channel().eventLoop();
    // An I/O loop runs its tail tasks after every round; other loops (Netty's embedded and default
    // ones) may never run them.
    if (loop instanceof SingleThreadIoEventLoop && loop.inEventLoop()) {
      flushDue = true;
      ((SingleThreadIoEventLoop) loop).executeAfterEventLoopIteration(dueFlush);
    } else {
      flush(ctx);
    }
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    flushDue = false;
    super.flush(ctx);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
    if (flushDue) {
      // Closing fails what was written and not flushed: what the streams wrote goes first.
      flush(ctx);
    }
    super.close(ctx, promise);
  }

  /** Ends the stream with RST_STREAM unless it is closed already. */
  void reset(Http2Stream stream, Http2Error error) {
    if (stream.state() != Http2Stream.State.CLOSED) {
      if (flushDue) {
        // A reset drops what waits in the stream's flow control: what was relayed goes out first.
        flush(ctx);
      }
      resetStream(ctx, stream.id(), error.code(), ctx.newPromise());
      flush(ctx);
    }
  }
}
