package io.stc.traffic;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.cookie.ClientCookieDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One simulated user: a keep-alive HTTP/1.1 connection carrying one request at a time, and its own
 * cookie jar when enabled, kept across reconnects so sticky sessions stay sticky. Everything here
 * runs on the owning {@link Dispatcher}'s event loop.
 */
@ChannelHandler.Sharable // re-added to each new connection of this client, never to two at once
final class VirtualClient extends ChannelInboundHandlerAdapter {
  enum State { DOWN, CONNECTING, IDLE, BUSY, CLOSING }

  private final Dispatcher dispatcher;
  private final Bootstrap bootstrap;
  private final SocketAddress target;
  private final RequestTemplate template;
  private final ResponseSummary response;
  private final Map<String, String> cookies;
  private Channel channel;
  private State state = State.DOWN;
  private long intendedNanos;
  private long sentNanos;

  /** {@code base} is configured with the dispatcher's event loop and the channel type. */
  VirtualClient(
      Dispatcher dispatcher, Bootstrap base, SocketAddress target, RequestTemplate template,
      String servedByHeader, boolean cookieJar, boolean headRequests) {
    this.dispatcher = dispatcher;
    this.bootstrap = base.clone().handler(this);
    this.target = target;
    this.template = template;
    this.response = new ResponseSummary(headRequests, servedByHeader, cookieJar);
    this.cookies = cookieJar ? new LinkedHashMap<>() : null;
  }

  State state() {
    return state;
  }

  void connect() {
    if (state != State.DOWN) {
      return;
    }
    state = State.CONNECTING;
    bootstrap.connect(target).addListener((ChannelFuture f) -> {
      if (f.isSuccess()) {
        channel = f.channel();
        response.reset();
        state = State.IDLE;
        dispatcher.onConnected(this);
      } else {
        state = State.DOWN;
        dispatcher.onConnectFailed(this, f.cause());
      }
    });
  }

  /** Writes the request; {@code intended} is when the schedule wanted it sent, the latency origin. */
  void send(long intended) {
    intendedNanos = intended;
    sentNanos = System.nanoTime();
    state = State.BUSY;
    response.expect();
    channel.writeAndFlush(template.next(channel.alloc(), cookies == null || cookies.isEmpty() ? null : cookieHeader()),
        channel.voidPromise());
  }

  /** True when a request has waited longer than {@code timeoutNanos} for its response. */
  boolean overdue(long now, long timeoutNanos) {
    return state == State.BUSY && now - sentNanos > timeoutNanos;
  }

  /** Gives up on the request in flight: HTTP/1.1 cannot cancel it, so the connection goes. */
  void abandon() {
    state = State.CLOSING;
    channel.close();
  }

  /** Closes the connection, if any, without counting anything. */
  void close() {
    if (channel != null && (state == State.IDLE || state == State.BUSY)) {
      state = State.CLOSING;
      channel.close();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    try {
      if (state != State.BUSY) {
        return;
      }
      switch (response.read(in)) {
        case MORE -> { }
        case DONE -> finish();
        case MALFORMED -> {
          state = State.CLOSING;
          dispatcher.onRequestFailed(Dispatcher.Failure.IO);
          ctx.close();
        }
      }
    } finally {
      in.release();
    }
  }

  private void finish() {
    long now = System.nanoTime();
    state = State.IDLE;
    if (cookies != null) {
      List<String> setCookies = response.cookies();
      for (int i = 0; i < setCookies.size(); i++) {
        keep(setCookies.get(i));
      }
    }
    dispatcher.onResponse(response.status(), response.servedBy(), now - intendedNanos);
    // bytes beyond the one response asked for mean the connection is out of step: keepAlive says no
    if (response.keepAlive()) {
      dispatcher.onFree(this);
    } else {
      close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (state == State.BUSY && response.closed()) {
      finish();
    }
    State was = state;
    state = State.DOWN;
    channel = null;
    if (was == State.BUSY) {
      dispatcher.onRequestFailed(Dispatcher.Failure.IO);
    }
    dispatcher.onClosed(this, was == State.IDLE);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  private void keep(String setCookie) {
    Cookie c = ClientCookieDecoder.LAX.decode(setCookie);
    if (c == null) {
      return;
    }
    if (c.maxAge() == 0) {
      cookies.remove(c.name());
    } else {
      cookies.put(c.name(), c.value());
    }
  }

  private String cookieHeader() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : cookies.entrySet()) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.toString();
  }
}
