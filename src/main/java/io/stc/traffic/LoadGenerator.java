package io.stc.traffic;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Runs one load test in-process: sends requests either on the pattern's schedule whatever the
 * responses do (open loop, latency measured from the intended send time so a stalled server shows
 * up in full, as in wrk2; keep-alive connections are opened as the backlog needs them, up to
 * {@code connections}) or as fast as a fixed set of virtual clients gets answers (closed loop).
 */
public final class LoadGenerator {
  private static final double WARM_UP_RATE = 10_000;
  private static final int WARM_UP_CONNECTIONS = 16;

  private final LoadOptions options;
  private volatile boolean stopRequested;

  public LoadGenerator(LoadOptions options) {
    this.options = options;
  }

  /** Asks a running {@link #run} to end early; it still returns the result so far. */
  public void stop() {
    stopRequested = true;
  }

  /** Runs the test without per-second reports. */
  public LoadResult run() throws IOException, InterruptedException {
    return run(s -> {});
  }

  /**
   * Runs the test, handing {@code perSecond} one sample a second (on a sampler thread) and a last
   * partial one at the end (on the calling thread).
   *
   * @throws IllegalArgumentException when the URL's host cannot be resolved
   * @throws ConnectException when not a single connection to the target can be opened
   */
  public LoadResult run(Consumer<SecondSample> perSecond) throws IOException, InterruptedException {
    InetSocketAddress target = resolve();
    RequestTemplate template = new RequestTemplate(options);
    touchOneTimeCosts(template);
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    MultiThreadIoEventLoopGroup group =
        new MultiThreadIoEventLoopGroup(options.threads(), new DefaultThreadFactory("stc-load", true), io);
    try {
      if (!options.warmUp().isZero()) {
        warmUp(group, epoll);
      }
      return run(group, epoll, target, template, perSecond);
    } finally {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  private LoadResult run(
      MultiThreadIoEventLoopGroup group, boolean epoll, InetSocketAddress target, RequestTemplate template,
      Consumer<SecondSample> perSecond) throws IOException, InterruptedException {
    int threads = options.threads();
    LoadStats stats = new LoadStats();
    RatePattern pattern = options.closedLoop() ? null : options.ratePattern();
    AtomicLong tickets = new AtomicLong(options.requests());
    CountDownLatch finished = new CountDownLatch(threads);
    int outstandingPerLoop = (int) Math.ceil(options.maxOutstanding() / (double) threads);
    long timeoutNanos = options.timeout().toNanos();
    boolean head = options.method().equals("HEAD");
    int connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, options.timeout().toMillis());

    List<Dispatcher> dispatchers = new ArrayList<>();
    int initial = 0;
    for (EventExecutor executor : group) {
      int l = dispatchers.size();
      Schedule schedule = pattern == null ? null
          : new Schedule(pattern, 1.0 / threads, options.durationSeconds(), (double) l / threads);
      int connections = options.connections() / threads + (l < options.connections() % threads ? 1 : 0);
      Bootstrap base = new Bootstrap()
          .group((EventLoop) executor)
          .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
      Dispatcher d = new Dispatcher((EventLoop) executor, stats, schedule, tickets, timeoutNanos,
          connections, outstandingPerLoop,
          dp -> new VirtualClient(dp, base, target, template, options.servedByHeader(), options.cookieJar(), head),
          finished);
      dispatchers.add(d);
      initial += d.initialConnections();
    }
    CountDownLatch connectAttempts = new CountDownLatch(initial);
    dispatchers.forEach(d -> d.loop.execute(() -> d.connectInitial(connectAttempts)));
    connectAttempts.await(timeoutNanos + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
    int connected = 0;
    Throwable failure = null;
    for (Dispatcher d : dispatchers) {
      int[] c = new int[1];
      Throwable[] f = new Throwable[1];
      call(d, () -> {
        c[0] = d.connected();
        f[0] = d.lastConnectFailure();
      });
      connected += c[0];
      failure = failure != null ? failure : f[0];
    }
    if (connected == 0) {
      String why = failure == null ? "timed out" : failure.getMessage();
      dispatchers.forEach(d -> call(d, d::stop));
      throw new ConnectException("cannot connect to " + hostPort() + ": " + why);
    }

    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
    dispatchers.forEach(d -> d.loop.execute(() -> d.start(start)));
    SecondSampler sampler = new SecondSampler(
        stats, dispatchers, pattern, options.durationSeconds(), start, perSecond);
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stc-load-sampler");
      t.setDaemon(true);
      return t;
    });
    long firstSample = start + TimeUnit.SECONDS.toNanos(1) - System.nanoTime();
    ticker.scheduleAtFixedRate(sampler::sample, firstSample, TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);

    long deadline = start + options.duration().toNanos() + timeoutNanos + TimeUnit.SECONDS.toNanos(1);
    Map<Integer, Long> statusCounts = new TreeMap<>();
    Map<String, Long> servedBy = new TreeMap<>();
    long end;
    try {
      while (!finished.await(50, TimeUnit.MILLISECONDS)
          && !stopRequested
          && (options.closedLoop() || System.nanoTime() - deadline < 0)) {
        // every loop signals when its share is done; the checks bound the wait
      }
    } finally {
      end = System.nanoTime();
      for (Dispatcher d : dispatchers) {
        call(d, () -> {
          d.stop();
          d.statusCounts().forEach((k, v) -> statusCounts.merge(k, v, Long::sum));
          d.servedBy().forEach((k, v) -> servedBy.merge(k, v, Long::sum));
        });
      }
      ticker.shutdown();
      ticker.awaitTermination(10, TimeUnit.SECONDS);
    }
    sampler.finish(end);
    return new LoadResult(
        options.closedLoop(),
        stats.scheduled.sum(),
        stats.sent.sum(),
        stats.completed.sum(),
        stats.dropped.sum(),
        stats.unfinished.sum(),
        stats.connectErrors.sum(),
        stats.ioErrors.sum(),
        stats.timeouts.sum(),
        stats.heldBack.sum(),
        stats.peakOpen.get(),
        stats.connectionsOpened.sum(),
        new TreeMap<>(statusCounts),
        new TreeMap<>(servedBy),
        (end - start) / 1e9,
        pattern == null ? Double.NaN : pattern.mean(0, options.durationSeconds()),
        sampler.total());
  }

  /**
   * Takes one-time costs before the clock starts, so they do not show up as the latency of the
   * first requests: Netty's first pooled allocation initialises Java Flight Recorder metadata
   * (a few hundred milliseconds on a busy machine), and the response reader's classes load on first use.
   */
  private void touchOneTimeCosts(RequestTemplate template) {
    ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(template.size());
    try {
      buf.writeBytes(template.plain());
      buf.clear().writeCharSequence("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", StandardCharsets.ISO_8859_1);
      ResponseSummary response = new ResponseSummary(false, options.servedByHeader(), options.cookieJar());
      response.expect();
      if (response.read(buf) != ResponseSummary.Progress.DONE) {
        throw new IllegalStateException("the response reader does not take a canned response");
      }
    } finally {
      buf.release();
    }
  }

  /** An open loop against a {@link LocalSink} on the same event loops; its result is discarded. */
  private void warmUp(MultiThreadIoEventLoopGroup group, boolean epoll) throws IOException, InterruptedException {
    try (LocalSink sink = new LocalSink(group, epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)) {
      LoadOptions w = LoadOptions.builder("http://127.0.0.1:" + sink.address().getPort() + "/")
          .rate(WARM_UP_RATE)
          .duration(options.warmUp())
          .connections(Math.min(WARM_UP_CONNECTIONS, options.connections()))
          .threads(options.threads())
          .timeout(Duration.ofSeconds(1))
          .build();
      new LoadGenerator(w).run(group, epoll, sink.address(), new RequestTemplate(w), s -> {});
    }
  }

  /** Runs {@code task} on the dispatcher's loop and waits for it. */
  private static void call(Dispatcher d, Runnable task) {
    try {
      d.loop.submit(task).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for an event loop", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("event loop task failed", e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("event loop did not answer within 30 s", e);
    }
  }

  private InetSocketAddress resolve() {
    String host = options.url().getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("bad URL '" + options.url() + "': unknown host " + host);
    }
  }

  private int port() {
    return options.url().getPort() > 0 ? options.url().getPort() : 80;
  }

  private String hostPort() {
    return options.url().getHost() + ":" + port();
  }
}
