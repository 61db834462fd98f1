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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a running stc's listening sockets to a new stc process on the same machine, so a restart or
 * an upgrade refuses no connection and loses none waiting to be accepted: HAProxy's seamless
 * reload ({@code expose-fd listeners}, {@code -x}). The running process serves a Unix socket in its
 * state directory, readable by its own user only; the new one asks it, on one connection each:
 * {@code listeners} (the sockets themselves come back, sent as file descriptors, then the
 * connection closes), {@code hold-admin} (the admin listener closes, so the new one can bind its
 * port; answered {@code ok}, and the connection stays open: should it close before a
 * {@code release}, the new process failed or went away, and the admin listener opens again; the
 * {@code admin} of earlier versions closes it for good), {@code hold-instances} with autoscaling
 * (scaling stops and the instances come back, one JSON line each, then {@code ok}; held as the
 * admin port is: closed before a {@code release}, scaling goes on) and, once the new process
 * accepts on the sockets it was given, {@code release} (answered {@code ok}; the old one lets the
 * held instances go, stops accepting and drains as on SIGTERM).
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

  /** What the running process gives a new one, and how it goes. */
  public interface Host {
    /** The file descriptors of the listening sockets, the data plane's first. */
    List<Integer> listenerFds();

    /** Closes the admin listener. */
    void closeAdmin();

    /** Opens it again: the new process that asked for it went away before taking over. */
    void reopenAdmin();

    /** Stops scaling and describes the instances to hand over, a line each; none without autoscaling. */
    List<String> holdInstances();

    /** Scaling goes on: the new process that held the instances went away before taking over. */
    void resumeInstances();

    /** The new process took over: lets the held instances go and starts this process's orderly stop. */
    void release();
  }

  /**
   * Serves handoffs at {@code socket} (replacing a file left there); null, with a warning, when it
   * cannot (no epoll, a path too long for a Unix socket, a directory that cannot be written).
   */
  public static ListenerHandoff serve(Path socket, Host host) {
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
    java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    try {
      Files.createDirectories(path.getParent());
      Files.deleteIfExists(path);
      Channel server = new ServerBootstrap()
          .group(group)
          .channel(EpollServerDomainSocketChannel.class)
          .childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(new Commands(host, released));
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
    private final Host host;
    /** Set once a new process said release: its held connections closing after that is no failure. */
    private final java.util.concurrent.atomic.AtomicBoolean released;
    private final StringBuilder line = new StringBuilder();
    /** This connection's process holds the admin port this one gave up. */
    private boolean holdsAdmin;
    /** This connection's process holds the instances this one stopped scaling. */
    private boolean holdsInstances;

    Commands(Host host, java.util.concurrent.atomic.AtomicBoolean released) {
      this.host = host;
      this.released = released;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (holdsAdmin && !released.get()) {
        log.warn("the new process went away before it took over (it failed to start, or was stopped): the admin listener opens again");
        host.reopenAdmin();
      }
      if (holdsInstances && !released.get()) {
        host.resumeInstances();
      }
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
      if (holdsAdmin || holdsInstances) {
        // Nothing more is asked on this connection; it is read only to hear it close.
        ReferenceCountUtil.release(msg);
        return;
      }
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
          List<Integer> fds = host.listenerFds();
          log.info("handing {} listening socket(s) to a new process", fds.size());
          for (int fd : fds) {
            // Sent as SCM_RIGHTS: the new process gets its own descriptor of the same socket.
            // Netty releases what it wrote, which leaves a FileDescriptor (not reference-counted) open.
            ctx.write(new FileDescriptor(fd));
          }
          ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        case "admin" -> {
          // An earlier version's takeover: it does not hold the connection.
          host.closeAdmin();
          ctx.writeAndFlush(Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII)).addListener(ChannelFutureListener.CLOSE);
        }
        case "hold-admin" -> {
          host.closeAdmin();
          holdsAdmin = true;
          ctx.writeAndFlush(Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII));
          // Read on, to hear the close: the new process keeps the connection until it took over.
          ctx.channel().config().setAutoRead(true);
        }
        case "hold-instances" -> {
          StringBuilder reply = new StringBuilder();
          for (String instance : host.holdInstances()) {
            reply.append(instance).append('\n');
          }
          holdsInstances = true;
          ctx.writeAndFlush(Unpooled.copiedBuffer(reply.append("ok\n"), StandardCharsets.UTF_8));
          ctx.channel().config().setAutoRead(true);
        }
        case "release" -> {
          released.set(true);
          log.info("a new process accepts on the listening sockets: stopping as on SIGTERM");
          // This socket goes before the ok (Netty removes its file as it closes), so the new
          // process's own, bound at the same path next, is not removed with it.
          ctx.channel().parent().close();
          ctx.writeAndFlush(Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII)).addListener(f -> {
            ctx.close();
            host.release();
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
    exchange(socket, "listeners", timeout, true, false, new ChannelInboundHandlerAdapter() {
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

  /**
   * Asks the process serving {@code socket} for its admin port, and holds the connection: once
   * {@link Hold#close() closed} before that process was told to release, or once this
   * process is gone, the other opens its admin listener again. A process of an earlier version,
   * which does not know to, is asked for the port alone.
   *
   * @throws IOException when no process answers there, or it does not say ok in time
   */
  public static Hold holdAdmin(Path socket, Duration timeout) throws IOException {
    try {
      return hold(socket, "hold-admin", timeout);
    } catch (Refused e) {
      ask(socket, "admin", timeout);
      return new Hold(null, null, List.of());
    }
  }

  /**
   * Asks the process serving {@code socket} to stop scaling and describe its instances, a line
   * each, and holds the connection: once {@link Hold#close() closed} before that process was told to
   * release, or once this process is gone, the other scales again.
   *
   * @throws IOException when no process answers there, it does not say ok in time, or it is of an
   *     earlier version, which does not hand instances over
   */
  public static Hold holdInstances(Path socket, Duration timeout) throws IOException {
    try {
      return hold(socket, "hold-instances", timeout);
    } catch (Refused e) {
      throw new IOException("the running stc does not hand its instances over (an earlier version): restart it instead");
    }
  }

  /** No process serves the socket (any more): it was never started, or it has gone. */
  public static final class NoneAnswers extends IOException {
    NoneAnswers(String message) {
      super(message);
    }
  }

  /** The running stc closed the connection without a word: it does not know the command. */
  private static final class Refused extends IOException {
    Refused(String command) {
      super("the running stc did not take '" + command + "'");
    }
  }

  /** Sends {@code command} and keeps the connection once the reply's lines end with ok. */
  private static Hold hold(Path socket, String command, Duration timeout) throws IOException {
    CompletableFuture<List<String>> ok = new CompletableFuture<>();
    StringBuilder reply = new StringBuilder();
    Hold held = exchange(socket, command, timeout, false, true, new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
          reply.append(b.toString(StandardCharsets.UTF_8));
        }
        ReferenceCountUtil.release(msg);
        List<String> lines = new ArrayList<>();
        int from = 0;
        for (int end = reply.indexOf("\n"); end >= 0; end = reply.indexOf("\n", from)) {
          String line = reply.substring(from, end);
          from = end + 1;
          if (line.equals("ok")) {
            ok.complete(lines);
            return;
          }
          if (!line.startsWith("{")) {
            ok.completeExceptionally(new IOException("the running stc did not take '" + command + "'"));
            return;
          }
          lines.add(line);
        }
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        ok.completeExceptionally(reply.length() == 0 ? new Refused(command) : new IOException("the running stc did not take '" + command + "'"));
      }
    }, ok);
    return new Hold(held.group, held.channel, ok.join());
  }

  /**
   * The connection by which a new process holds what another gave it ({@link #holdAdmin}, {@link
   * #holdInstances}), with the lines it was told; none from an earlier version.
   */
  public static final class Hold implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel channel;
    private final List<String> lines;

    private Hold(EventLoopGroup group, Channel channel, List<String> lines) {
      this.group = group;
      this.channel = channel;
      this.lines = List.copyOf(lines);
    }

    /** What the other process said before its ok: the instances handed over, a JSON line each. */
    public List<String> lines() {
      return lines;
    }

    /** Lets go: after a release, nothing follows; before one, the other process takes back what it gave. */
    @Override
    public void close() {
      if (channel != null) {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
    }
  }

  /** Sends {@code command} (release) to the process serving {@code socket} and waits for its ok. */
  public static void ask(Path socket, String command, Duration timeout) throws IOException {
    StringBuilder reply = new StringBuilder();
    CompletableFuture<String> done = new CompletableFuture<>();
    exchange(socket, command, timeout, false, false, new ChannelInboundHandlerAdapter() {
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

  /**
   * Connects to {@code socket}, sends {@code command} and waits for {@code done}; an IOException it
   * fails with is thrown as it is. With {@code keep}, the connection stays open and is returned.
   */
  private static Hold exchange(Path socket, String command, Duration timeout, boolean fileDescriptors, boolean keep,
      ChannelInboundHandlerAdapter handler, CompletableFuture<?> done) throws IOException {
    if (!available()) {
      throw new IOException("taking over listeners needs Linux's epoll");
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("stc-takeover", true), EpollIoHandler.newFactory());
    boolean kept = false;
    try {
      Bootstrap b = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class).handler(handler);
      if (fileDescriptors) {
        b.option(EpollChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS);
      }
      var connect = b.connect(new DomainSocketAddress(socket.toAbsolutePath().toFile()));
      if (!connect.await(timeout.toMillis()) || !connect.isSuccess()) {
        throw new NoneAnswers("no stc answers at " + socket.toAbsolutePath()
            + (connect.cause() == null ? "" : " (" + connect.cause() + ")"));
      }
      connect.channel().writeAndFlush(Unpooled.copiedBuffer(command + "\n", StandardCharsets.US_ASCII));
      try {
        done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        connect.channel().close();
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      } catch (java.util.concurrent.TimeoutException e) {
        connect.channel().close();
        throw new IOException("the running stc did not answer '" + command + "' within " + timeout.toSeconds() + " s");
      }
      kept = keep;
      return keep ? new Hold(group, connect.channel(), List.of()) : null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } finally {
      if (!kept) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
    }
  }

  /** Stops serving handoffs; Netty removes the socket file as the socket closes. */
  @Override
  public void close() {
    server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
