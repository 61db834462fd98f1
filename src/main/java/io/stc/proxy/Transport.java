package io.stc.proxy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The socket transport of the data plane: io_uring where the kernel allows it, else epoll, else
 * NIO. {@code domainSocketChannel} connects to backends on Unix domain sockets, whose addresses
 * the native transports take as Netty's own type and NIO as the JDK's ({@link #domainAddress}).
 */
record Transport(
    String name,
    IoHandlerFactory ioHandlerFactory,
    Class<? extends ServerChannel> serverChannel,
    Class<? extends SocketChannel> socketChannel,
    Class<? extends Channel> domainSocketChannel) {

  /**
   * The transport {@code choice} names (one of {@code StcConfig.TRANSPORTS}); {@code auto} takes the
   * first available of io_uring, epoll and NIO.
   *
   * @throws IllegalStateException if the named transport cannot run here, with the reason
   */
  static Transport of(String choice) {
    // io_uring first: on a 2-core VM it cut stc's CPU per proxied request by about 30% and its
    // involuntary context switches by about 80% against epoll (bench/RESULTS.md). Old kernels,
    // seccomp profiles that block it (Docker's default does) and kernel.io_uring_disabled make
    // IoUring unavailable, and then epoll serves.
    switch (choice) {
      case "io_uring" -> {
        require("io_uring", IoUring.isAvailable(), IoUring.unavailabilityCause());
        return ioUring();
      }
      case "epoll" -> {
        require("epoll", Epoll.isAvailable(), Epoll.unavailabilityCause());
        return epoll();
      }
      case "nio" -> {
        return nio();
      }
      case "auto" -> {
        if (IoUring.isAvailable()) {
          return ioUring();
        }
        return Epoll.isAvailable() ? epoll() : nio();
      }
      default -> throw new IllegalArgumentException("unknown transport: " + choice);
    }
  }

  private static void require(String name, boolean available, Throwable cause) {
    if (!available) {
      throw new IllegalStateException(
          "transport " + name + " is not available here: " + (cause == null ? "unknown reason" : cause.getMessage()));
    }
  }

  private static Transport ioUring() {
    return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class, IoUringSocketChannel.class,
        IoUringDomainSocketChannel.class);
  }

  private static Transport epoll() {
    return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class,
        EpollDomainSocketChannel.class);
  }

  private static Transport nio() {
    return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class,
        NioDomainSocketChannel.class);
  }

  /** The address this transport's domain socket channel connects to for a socket file. */
  java.net.SocketAddress domainAddress(java.net.UnixDomainSocketAddress at) {
    return name.equals("nio") ? at : new DomainSocketAddress(at.getPath().toString());
  }

  EventLoopGroup newGroup(int threads, String prefix) {
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(prefix, true), ioHandlerFactory);
  }
}
