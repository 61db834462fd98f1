package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
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

  Http2StreamsHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
      boolean decoupleCloseAndGoAway, boolean flushPreface) {
    super(decoder, encoder, settings, decoupleCloseAndGoAway, flushPreface);
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
