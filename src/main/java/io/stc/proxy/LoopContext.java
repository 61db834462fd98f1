package io.stc.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.stc.pool.Backend;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What one event loop owns: its idle backend connections, per backend, and the bootstrap that
 * opens new ones on the same loop, so a backend connection never crosses threads and the pool
 * needs no lock.
 */
final class LoopContext {
  /** Idle connections kept per backend per loop; beyond this a returned connection is closed. */
  static final int MAX_IDLE_PER_BACKEND = 256;

  final EventLoop loop;
  private final Bootstrap bootstrap;
  /** Null when backends speak plain HTTP. */
  private final SslContext backendSsl;
  private final Map<Backend, ArrayDeque<BackendConnection>> idle = new IdentityHashMap<>();

  LoopContext(EventLoop loop, Class<? extends Channel> channelClass, int connectTimeoutMillis, SslContext backendSsl) {
    this.loop = loop;
    this.backendSsl = backendSsl;
    this.bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(channelClass)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
  }

  /** An idle, open connection to the backend, or null. Call on this loop only. */
  BackendConnection acquire(Backend backend) {
    ArrayDeque<BackendConnection> q = idle.get(backend);
    if (q == null) {
      return null;
    }
    BackendConnection c;
    while ((c = q.pollFirst()) != null) {
      if (c.channel.isActive() && !c.reader.hasLeftover()) {
        c.reused = true;
        return c;
      }
      // Closed, or the backend said something unasked while idle: not to be trusted.
      c.channel.close();
    }
    return null;
  }

  /** Opens a new connection to the backend on this loop. */
  ChannelFuture connect(BackendConnection connection) {
    Bootstrap b = bootstrap.clone();
    b.handler(new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        if (backendSsl != null) {
          ch.pipeline().addLast("tls", backendSsl.newHandler(ch.alloc(), connection.backend.host(), connection.backend.port()));
        }
        // No codec: the proxy writes request bytes itself and the connection reads responses itself.
        ch.pipeline().addLast("backend", connection);
      }
    });
    return b.connect(connection.backend.address());
  }

  /** Takes back a connection after a complete exchange, or closes it when it can't be kept. */
  void release(BackendConnection c) {
    c.owner = null;
    if (!c.channel.isActive() || c.backend.isRemoved()) {
      c.channel.close();
      return;
    }
    if (!c.channel.config().isAutoRead()) {
      c.channel.config().setAutoRead(true);
    }
    ArrayDeque<BackendConnection> q = idle.computeIfAbsent(c.backend, b -> new ArrayDeque<>());
    if (q.size() >= MAX_IDLE_PER_BACKEND) {
      c.channel.close();
      return;
    }
    // Most recently used first: hot connections stay hot, cold ones age out at the backend.
    q.addFirst(c);
  }

  /** Drops a closed idle connection from the pool. */
  void forget(BackendConnection c) {
    ArrayDeque<BackendConnection> q = idle.get(c.backend);
    if (q != null) {
      q.remove(c);
    }
  }

  /** Closes every idle connection to a backend that left the pool. Call on this loop. */
  void closeIdle(Backend backend) {
    ArrayDeque<BackendConnection> q = idle.remove(backend);
    if (q != null) {
      for (BackendConnection c : q) {
        c.channel.close();
      }
    }
  }

  /** Closes all idle connections. Call on this loop. */
  void closeAll() {
    for (ArrayDeque<BackendConnection> q : idle.values()) {
      for (BackendConnection c : q) {
        c.channel.close();
      }
    }
    idle.clear();
  }
}
