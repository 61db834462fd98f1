package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One connection to the mirror: a copy of a request goes out, its answer is read to its end by the
 * one HTTP/1 response reader and dropped, and the connection waits in its loop's {@link Mirror}
 * for the next copy. Used only from that loop.
 */
final class MirrorLink extends ChannelInboundHandlerAdapter implements ResponseReader.Sink {
  private final Mirror mirror;
  private final ResponseReader reader = new ResponseReader(null);
  /** The address the connection was opened to: a reload that moves the mirror leaves it unused. */
  final SocketAddress connectedTo;
  Channel channel;
  /** The copy out on the connection: the target whose place it holds; null while idle. */
  private MirrorTarget out;
  private int status;
  private boolean keepAlive;
  private ScheduledFuture<?> deadline;
  /** When, by the proxy's clock, the connection went idle. */
  long idleSinceNanos;

  MirrorLink(Mirror mirror, SocketAddress connectedTo) {
    this.mirror = mirror;
    this.connectedTo = connectedTo;
  }

  /** Whether the connection can carry another copy: open, and nothing said since the last answer. */
  boolean reusable() {
    return channel != null && channel.isActive() && !reader.hasLeftover();
  }

  /** Sends a copy, its bytes in order (the head, then the body as framed); the connection is open. */
  void send(List<ByteBuf> bytes, boolean headRequest, MirrorTarget target) {
    if (!channel.isActive()) {
      // Closed as the copy was made: it fails here, as nothing will end it later.
      for (int i = 0, n = bytes.size(); i < n; i++) {
        bytes.get(i).release();
      }
      mirror.ended(target, 0);
      return;
    }
    out = target;
    status = 0;
    keepAlive = false;
    reader.expectDiscarding(headRequest);
    for (int i = 0, n = bytes.size(); i < n; i++) {
      channel.write(bytes.get(i), channel.voidPromise());
    }
    channel.flush();
    deadline = channel.eventLoop().schedule(this::timedOut, target.timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void timedOut() {
    if (out != null) {
      // Closing ends the copy as failed (channelInactive).
      channel.close();
    }
  }

  /** The copy ended: answered with {@code status}, or failed (0); an answered one leaves the connection for the next when it may be kept. */
  private void ended(int answeredStatus) {
    MirrorTarget target = out;
    out = null;
    deadline.cancel(false);
    mirror.ended(target, answeredStatus);
    if (answeredStatus > 0 && keepAlive && reusable()) {
      mirror.release(this);
    } else if (answeredStatus > 0) {
      channel.close();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (out == null || !(msg instanceof ByteBuf in)) {
      // Nothing was asked: whatever the mirror said, the connection can't be trusted.
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    try {
      reader.read(in, this);
    } finally {
      in.release();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    // An answer delimited by the close ends here.
    reader.closed(this);
    reader.release();
    if (out != null) {
      ended(0);
    } else {
      mirror.forget(this);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  @Override
  public void onResponseHead(ResponseHead head) {
    if (head.status == 101) {
      // Copies never ask to switch protocols: a mirror that does is not answering this one.
      channel.close();
    } else if (head.status >= 200) {
      status = head.status;
      keepAlive = head.keepAlive();
    }
  }

  @Override
  public void onResponseBody(ByteBuf piece) {
    piece.release();
  }

  @Override
  public void onResponseEnd() {
    if (out != null && status > 0) {
      ended(status);
    }
  }

  @Override
  public void onTunnelBytes(ByteBuf bytes) {
    bytes.release();
  }

  @Override
  public void onBadResponse() {
    channel.close();
  }
}
