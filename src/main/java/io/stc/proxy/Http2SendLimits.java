package io.stc.proxy;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2LifecycleManager;
import io.stc.Clock;
import java.util.concurrent.TimeUnit;

/**
 * What a client may make stc send on its HTTP/2 connection, bounded: answers to its SETTINGS and
 * PINGs and resets still unwritten (a client that sends them without reading would grow stc's
 * output buffer without end: CVE-2019-9512, -9515), and resets for stream errors it provokes per
 * window (CVE-2025-55163, "MadeYouReset", the rapid reset with stc doing the resetting). Past
 * either limit the connection ends with GOAWAY(ENHANCE_YOUR_CALM). Netty's builder adds guards like
 * these to the encoder it makes; {@link Http2ClientStreams} makes its own (its frame writer is
 * {@link CompactHttp2FrameWriter}), so it adds these.
 */
final class Http2SendLimits extends DecoratingHttp2ConnectionEncoder {
  private final int maxUnwrittenControlFrames;
  private final int maxErrorResets;
  private final long windowNanos;
  private final Clock clock;
  private int unwrittenControlFrames;
  private final ChannelFutureListener written = f -> unwrittenControlFrames--;
  private Http2LifecycleManager lifecycle;
  private long windowStart;
  private int errorResetsInWindow;
  private boolean exceeded;

  Http2SendLimits(Http2ConnectionEncoder delegate, int maxUnwrittenControlFrames, int maxErrorResets, int windowSeconds,
      Clock clock) {
    super(delegate);
    this.maxUnwrittenControlFrames = maxUnwrittenControlFrames;
    this.maxErrorResets = maxErrorResets;
    this.windowNanos = TimeUnit.SECONDS.toNanos(windowSeconds);
    this.clock = clock;
    this.windowStart = clock.nanos();
  }

  @Override
  public void lifecycleManager(Http2LifecycleManager lifecycleManager) {
    this.lifecycle = lifecycleManager;
    super.lifecycleManager(lifecycleManager);
  }

  @Override
  public ChannelFuture writeSettingsAck(ChannelHandlerContext ctx, ChannelPromise promise) {
    return super.writeSettingsAck(ctx, controlFrame(ctx, promise));
  }

  @Override
  public ChannelFuture writePing(ChannelHandlerContext ctx, boolean ack, long data, ChannelPromise promise) {
    // Only answers count: stc's own PINGs are its business.
    return super.writePing(ctx, ack, data, ack ? controlFrame(ctx, promise) : promise);
  }

  @Override
  public ChannelFuture writeRstStream(ChannelHandlerContext ctx, int streamId, long errorCode, ChannelPromise promise) {
    ChannelFuture f = super.writeRstStream(ctx, streamId, errorCode, controlFrame(ctx, promise));
    // CANCEL and NO_ERROR are stc ending streams for its own reasons (a client gone, a response done early).
    if (errorCode != Http2Error.CANCEL.code() && errorCode != Http2Error.NO_ERROR.code()) {
      long now = clock.nanos();
      if (now - windowStart >= windowNanos) {
        windowStart = now;
        errorResetsInWindow = 0;
      }
      if (++errorResetsInWindow > maxErrorResets) {
        // The GOAWAY goes out, and the connection closes once it is written.
        exceed(ctx, false, "more than " + maxErrorResets + " streams reset for errors within "
            + TimeUnit.NANOSECONDS.toSeconds(windowNanos) + " s");
      }
    }
    return f;
  }

  /** Counts a control frame until it is written; past the limit (after one flush to try), the connection ends. */
  private ChannelPromise controlFrame(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (exceeded) {
      return promise;
    }
    if (unwrittenControlFrames >= maxUnwrittenControlFrames) {
      ctx.flush();
      if (unwrittenControlFrames >= maxUnwrittenControlFrames) {
        // A client that does not read would never get the GOAWAY: the connection closes now.
        exceed(ctx, true, "more than " + maxUnwrittenControlFrames + " control frames unwritten (the client does not read)");
        return promise;
      }
    }
    unwrittenControlFrames++;
    return promise.unvoid().addListener(written);
  }

  private void exceed(ChannelHandlerContext ctx, boolean closeNow, String what) {
    if (exceeded) {
      return;
    }
    exceeded = true;
    lifecycle.onError(ctx, true, Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM, "%s", what));
    if (closeNow) {
      ctx.close();
    }
  }
}
