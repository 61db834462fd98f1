package io.stc.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a running stc's listening sockets to a new stc process on the same machine, so a restart or
 * an upgrade refuses no connection and loses none waiting to be accepted: HAProxy's seamless
 * reload ({@code expose-fd listeners}, {@code -x}). The running process serves a Unix socket in its
 * state directory, readable by its own user only; the new one asks it, on one connection each:
 * {@code listeners} (the sockets themselves come back, sent as file descriptors, then the
 * connection closes), {@code admin} (the admin listener closes, so the new one can bind its port;
 * answered {@code ok}) and, once the new process accepts on the sockets it was given,
 * {@code release} (answered {@code ok}; the old one stops accepting and drains as on SIGTERM).
 * Both accept from the same sockets meanwhile, so the kernel's queue of waiting connections is
 * never closed.
 */
public final class ListenerHandoff implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ListenerHandoff.class);
  /** The socket's name in the state directory. */
  public static final String SOCKET = "stc.sock";
  /** The longest path a Unix socket address holds (sun_path, less its terminating zero). */
  private static final int MAX_PATH = 107;

  private final EventLoopGroup group;
  private final Channel server;

  private ListenerHandoff(EventLoopGroup group, Channel server) {
    this.group = group;
    this.server = server;
  }

  /** Whether this machine can hand listeners over: Linux with the epoll transport. */
  public static boolean available() {
    return Epoll.isAvailable();
  }

  /**
   * Serves handoffs at {@code socket} (replacing a file left there); null, with a warning, when it
   * cannot (no epoll, a path too long for a Unix socket, a directory that cannot be written).
   *
   * @param listeners the file descriptors of the listening sockets, the data plane's first
   * @param closeAdmin closes the admin listener
   * @param release starts this process's orderly stop
   */
  public static ListenerHandoff serve(Path socket, Supplier<List<Integer>> listeners, Runnable closeAdmin, Runnable release) {
    Path path = socket.toAbsolutePath();
    if (!available()) {
      log.info("no listener handoff (stc serve --takeover): it needs Linux's epoll");
      return null;
    }
    if (path.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH) {
      log.warn("no listener handoff at {}: the path is too long for a Unix socket (a shorter state_dir)", path);
      return null;
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("stc-handoff", true), EpollIoHandler.newFactory());
    try {
      Files.createDirectories(path.getParent());
      Files.deleteIfExists(path);
      Channel server = new ServerBootstrap()
          .group(group)
          .channel(EpollServerDomainSocketChannel.class)
          .childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(new Commands(listeners, closeAdmin, release));
            }
          })
          .bind(new DomainSocketAddress(path.toFile())).sync().channel();
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
      return new ListenerHandoff(group, server);
    } catch (Exception e) {
      log.warn("no listener handoff at {}: {}", path, e.toString());
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      return null;
    }
  }

  /** One request of a new process: a line naming what it wants. */
  private static final class Commands extends ChannelInboundHandlerAdapter {
    private final Supplier<List<Integer>> listeners;
    private final Runnable closeAdmin;
    private final Runnable release;
    private final StringBuilder line = new StringBuilder();

    Commands(Supplier<List<Integer>> listeners, Runnable closeAdmin, Runnable release) {
      this.listeners = listeners;
      this.closeAdmin = closeAdmin;
      this.release = release;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      // The file is its owner's alone, but it has its mode only just after it is made: the
      // peer's user is asked of the kernel too.
      try {
        int peer = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials().uid();
        int own = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (peer != own) {
          log.warn("refused a listener handoff to user {} (stc runs as {})", peer, own);
          ctx.close();
        }
      } catch (IOException | RuntimeException e) {
        log.warn("refused a listener handoff: cannot tell the peer's user ({})", e.toString());
        ctx.close();
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof ByteBuf b) {
          line.append(b.toString(StandardCharsets.US_ASCII));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
      int end = line.indexOf("\n");
      if (end < 0) {
        if (line.length() > 64) {
          ctx.close();
        }
        return;
      }
      String command = line.substring(0, end).trim();
      ctx.channel().config().setAutoRead(false);
      switch (command) {
        case "listeners" -> {
          List<Integer> fds = listeners.get();
          log.info("handing {} listening socket(s) to a new process", fds.size());
          for (int fd : fds) {
            // Sent as SCM_RIGHTS: the new process gets its own descriptor of the same socket.
            // Netty releases what it wrote, which leaves a FileDescriptor (not reference-counted) open.
            ctx.write(new FileDescriptor(fd));
          }
          ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        case "admin" -> {
          closeAdmin.run();
          ctx.writeAndFlush(Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII)).addListener(ChannelFutureListener.CLOSE);
        }
        case "release" -> {
          log.info("a new process accepts on the listening sockets: stopping as on SIGTERM");
          // This socket goes before the ok (Netty removes its file as it closes), so the new
          // process's own, bound at the same path next, is not removed with it.
          ctx.channel().parent().close();
          ctx.writeAndFlush(Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII)).addListener(f -> {
            ctx.close();
            release.run();
          });
        }
        default -> ctx.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /**
   * Asks the process serving {@code socket} for its listening sockets; returns this process's
   * descriptors of them, the data plane's first.
   *
   * @throws IOException when no process answers there, or it sends none in time
   */
  public static List<Integer> takeListeners(Path socket, Duration timeout) throws IOException {
    List<Integer> fds = new ArrayList<>();
    CompletableFuture<List<Integer>> done = new CompletableFuture<>();
    exchange(socket, "listeners", timeout, true, new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FileDescriptor fd) {
          fds.add(fd.intValue());
        } else {
          ReferenceCountUtil.release(msg);
        }
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        done.complete(fds);
      }
    }, done);
    return fds;
  }

  /** Sends {@code command} (admin, release) to the process serving {@code socket} and waits for its ok. */
  public static void ask(Path socket, String command, Duration timeout) throws IOException {
    StringBuilder reply = new StringBuilder();
    CompletableFuture<String> done = new CompletableFuture<>();
    exchange(socket, command, timeout, false, new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
          reply.append(b.toString(StandardCharsets.US_ASCII));
        }
        ReferenceCountUtil.release(msg);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        done.complete(reply.toString());
      }
    }, done);
    if (!done.join().startsWith("ok")) {
      throw new IOException("the running stc did not take '" + command + "'");
    }
  }

  private static void exchange(Path socket, String command, Duration timeout, boolean fileDescriptors,
      ChannelInboundHandlerAdapter handler, CompletableFuture<?> done) throws IOException {
    if (!available()) {
      throw new IOException("taking over listeners needs Linux's epoll");
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("stc-takeover", true), EpollIoHandler.newFactory());
    try {
      Bootstrap b = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class).handler(handler);
      if (fileDescriptors) {
        b.option(EpollChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS);
      }
      var connect = b.connect(new DomainSocketAddress(socket.toAbsolutePath().toFile()));
      if (!connect.await(timeout.toMillis()) || !connect.isSuccess()) {
        throw new IOException("no stc answers at " + socket.toAbsolutePath()
            + (connect.cause() == null ? "" : " (" + connect.cause() + ")"));
      }
      connect.channel().writeAndFlush(Unpooled.copiedBuffer(command + "\n", StandardCharsets.US_ASCII));
      try {
        done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        connect.channel().close();
        throw new IOException("the running stc did not answer '" + command + "' within " + timeout.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /** Stops serving handoffs; Netty removes the socket file as the socket closes. */
  @Override
  public void close() {
    server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
