package io.stc.traffic;

import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The part of a run owned by one event loop: its virtual clients, its share of the open-loop
 * schedule (or of the closed-loop requests), the queue of due requests waiting for a free
 * connection, and its counters. Every method runs on that loop, so nothing here takes a lock.
 *
 * <p>In an open loop the connections follow the backlog, as a browser's or vegeta's pool does: a
 * request due when every open connection is busy opens another (up to this loop's share of
 * {@code --connections}), so it waits in the server's queue, where the server can see it, not in
 * the client's. The pool grows at a pace ({@link #MAX_CONNECTING} attempts at a time,
 * {@link #CONNECTS_PER_SECOND} new connections a second) so a backlog does not arrive as thousands
 * of handshakes at once; idle connections are kept and reused first, so a fast server keeps few.
 */
final class Dispatcher {
  /** Why a request in flight failed. */
  enum Failure { IO, TIMEOUT }

  /** The served-by key of responses without the header. */
  static final String NO_HEADER = "(none)";
  static final long MAX_LATENCY_MICROS = TimeUnit.HOURS.toMicros(1);
  private static final int MAX_BATCH = 256;
  private static final long MIN_TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
  private static final long RECONNECT_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /** Open loop: connection attempts under way at once on one loop. */
  static final int MAX_CONNECTING = 16;
  /** Open loop: new connections a second on one loop, in bursts of at most {@link #MAX_CONNECTING}. */
  static final double CONNECTS_PER_SECOND = 1000;

  final EventLoop loop;
  final SingleWriterRecorder latency = new SingleWriterRecorder(1, MAX_LATENCY_MICROS, 3);
  private final LoadStats stats;
  private final Schedule schedule;
  private final AtomicLong tickets;
  private final long timeoutNanos;
  private final PendingRequests pending;
  private final int maxOutstanding;
  private final int maxConnections;
  private final Function<Dispatcher, VirtualClient> newClient;
  private final List<VirtualClient> clients = new ArrayList<>();
  private final ArrayDeque<VirtualClient> idle = new ArrayDeque<>();
  /** Open loop: clients without a connection, reused before a new one is made (they keep their cookies). */
  private final ArrayDeque<VirtualClient> down = new ArrayDeque<>();
  private final long[] statusCounts = new long[600];
  private final Map<String, long[]> servedBy = new HashMap<>();
  private CountDownLatch connectAttempts;
  private final CountDownLatch finished;
  private final Runnable tickTask = this::tick;
  private long startNanos;
  private long nextDue;
  private boolean scheduling;
  private boolean started;
  private boolean stopping;
  private boolean finishSignalled;
  private int busy;
  private int connected;
  /** Connection attempts under way, and in an open loop failed ones waiting out their back-off. */
  private int connecting;
  private double connectTokens = MAX_CONNECTING;
  private long connectTokensAt = System.nanoTime();
  private boolean growScheduled;
  private Throwable lastConnectFailure;

  /**
   * @param schedule this loop's share of the open-loop schedule, or null for a closed loop
   * @param tickets closed loop: requests left to take, shared by all loops
   * @param maxConnections this loop's connections: the most in an open loop, all of them in a closed one
   * @param maxOutstanding open loop: this loop's requests in flight or waiting beyond which new ones drop
   * @param newClient makes a virtual client on this loop
   */
  Dispatcher(
      EventLoop loop, LoadStats stats, Schedule schedule, AtomicLong tickets, long timeoutNanos,
      int maxConnections, int maxOutstanding, Function<Dispatcher, VirtualClient> newClient,
      CountDownLatch finished) {
    this.loop = loop;
    this.stats = stats;
    this.schedule = schedule;
    this.tickets = tickets;
    this.timeoutNanos = timeoutNanos;
    this.maxConnections = maxConnections;
    this.maxOutstanding = schedule == null ? 0 : maxOutstanding;
    this.pending = new PendingRequests(this.maxOutstanding);
    this.newClient = newClient;
    this.finished = finished;
  }

  /**
   * Connections opened before the start: every client of a closed loop, one in an open loop (it
   * shows the target is reachable; the rest open as requests need them). Each attempt counts
   * down {@code connectAttempts}.
   */
  int initialConnections() {
    return schedule == null ? maxConnections : Math.min(1, maxConnections);
  }

  /** Opens the {@link #initialConnections()}, counting each attempt down on {@code attempts}. */
  void connectInitial(CountDownLatch attempts) {
    connectAttempts = attempts;
    for (int i = initialConnections(); i > 0; i--) {
      VirtualClient c = newClient.apply(this);
      clients.add(c);
      connect(c);
    }
  }

  private void connect(VirtualClient c) {
    if (c.state() == VirtualClient.State.DOWN) {
      connecting++;
      c.connect();
    }
  }

  int connected() {
    return connected;
  }

  Throwable lastConnectFailure() {
    return lastConnectFailure;
  }

  /** Starts sending; {@code start} is the common nanoTime origin of all loops. */
  void start(long start) {
    started = true;
    startNanos = start;
    long sweep = Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(timeoutNanos / 10, TimeUnit.MILLISECONDS.toNanos(50)));
    loop.scheduleAtFixedRate(this::sweepTimeouts, sweep, sweep, TimeUnit.NANOSECONDS);
    if (schedule != null) {
      double first = schedule.next();
      scheduling = !Double.isNaN(first);
      if (scheduling) {
        nextDue = start + (long) (first * 1e9);
        loop.schedule(tickTask, Math.max(0, nextDue - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } else {
      long now = System.nanoTime();
      while (!idle.isEmpty() && takeTicket()) {
        send(idle.pollFirst(), now);
      }
    }
    if (schedule == null) {
      for (VirtualClient c : clients) {
        connect(c);
      }
    }
    checkFinished();
  }

  private void tick() {
    if (!scheduling) {
      return;
    }
    // Only what is due now, and a bounded batch: if sending falls behind, reads must still run,
    // or no connection would ever come free again.
    long now = System.nanoTime();
    for (int batch = 0; nextDue - now <= 0; batch++) {
      if (batch == MAX_BATCH) {
        // a scheduled task, unlike an executed one, waits for the next pass through I/O
        loop.schedule(tickTask, 0, TimeUnit.NANOSECONDS);
        return;
      }
      dispatch(nextDue);
      double next = schedule.next();
      if (Double.isNaN(next)) {
        scheduling = false;
        checkFinished();
        return;
      }
      nextDue = startNanos + (long) (next * 1e9);
    }
    // Waking up costs a context switch; at high rates, batch what falls due within MIN_TICK.
    loop.schedule(tickTask, Math.max(nextDue, now + MIN_TICK_NANOS) - System.nanoTime(), TimeUnit.NANOSECONDS);
  }

  private void dispatch(long intended) {
    stats.scheduled.increment();
    VirtualClient c = idle.pollFirst();
    if (c != null) {
      send(c, intended);
    } else if (busy + pending.size() >= maxOutstanding || !pending.offer(intended)) {
      stats.dropped.increment();
    } else {
      grow();
      if (pending.size() > connecting && atConnectionCap()) {
        stats.heldBack.increment();
      }
    }
  }

  private boolean atConnectionCap() {
    return down.isEmpty() && clients.size() >= maxConnections;
  }

  /**
   * Open loop: opens connections for the requests waiting that no attempt under way will take,
   * reusing closed clients first, within the cap and the pace.
   */
  private void grow() {
    if (schedule == null || stopping) {
      return;
    }
    while (connecting < pending.size() && connecting < MAX_CONNECTING) {
      VirtualClient c = down.pollFirst();
      if (c == null) {
        // Only growth is paced: a connection the server closed is replaced at once, or a server
        // that closes after every response would cap the rate at the pace.
        if (clients.size() >= maxConnections || !takeConnectToken()) {
          return;
        }
        c = newClient.apply(this);
        clients.add(c);
      }
      connect(c);
    }
  }

  /** A token of the pace, or false with a retry of {@link #grow} scheduled for when one is due. */
  private boolean takeConnectToken() {
    long now = System.nanoTime();
    connectTokens = Math.min(MAX_CONNECTING, connectTokens + (now - connectTokensAt) * CONNECTS_PER_SECOND / 1e9);
    connectTokensAt = now;
    if (connectTokens >= 1) {
      connectTokens--;
      return true;
    }
    if (!growScheduled) {
      growScheduled = true;
      long wait = (long) Math.ceil((1 - connectTokens) * 1e9 / CONNECTS_PER_SECOND);
      loop.schedule(() -> {
        growScheduled = false;
        grow();
      }, wait, TimeUnit.NANOSECONDS);
    }
    return false;
  }

  private void send(VirtualClient c, long intended) {
    busy++;
    stats.sent.increment();
    c.send(intended);
  }

  private boolean takeTicket() {
    if (tickets.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
      stats.scheduled.increment();
      return true;
    }
    return false;
  }

  private boolean moreWork() {
    if (stopping) {
      return false;
    }
    return schedule != null ? scheduling || !pending.isEmpty() : tickets.get() > 0;
  }

  void onConnected(VirtualClient c) {
    connecting--;
    stats.connectionOpened();
    if (!started) {
      connected++;
      idle.addLast(c);
      connectAttempts.countDown();
    } else if (stopping) {
      c.close();
    } else {
      onFree(c);
      grow();
    }
  }

  void onConnectFailed(VirtualClient c, Throwable cause) {
    if (!started) {
      connecting--;
      lastConnectFailure = cause;
      connectAttempts.countDown();
      if (schedule != null) {
        down.addLast(c);
      }
      return;
    }
    stats.connectErrors.increment();
    stats.errors.increment();
    if (schedule == null) {
      connecting--;
      if (!stopping) {
        // a closed loop spends the request on the failed attempt, so a dead target cannot stall it
        takeTicket();
      }
      if (moreWork()) {
        loop.schedule(() -> connect(c), RECONNECT_DELAY_NANOS, TimeUnit.NANOSECONDS);
      }
    } else {
      // The attempt keeps its place through the back-off: a refusing target costs a few attempts
      // a second, not one per request due.
      loop.schedule(() -> {
        connecting--;
        down.addLast(c);
        grow();
        checkFinished();
      }, RECONNECT_DELAY_NANOS, TimeUnit.NANOSECONDS);
    }
    checkFinished();
  }

  /** A connected client with nothing in flight asks for work. */
  void onFree(VirtualClient c) {
    if (stopping) {
      idle.addLast(c);
    } else if (schedule == null) {
      if (takeTicket()) {
        send(c, System.nanoTime());
      } else {
        idle.addLast(c);
      }
    } else if (!pending.isEmpty()) {
      send(c, pending.poll());
    } else {
      idle.addLast(c);
    }
    checkFinished();
  }

  void onResponse(int status, String servedByValue, long latencyNanos) {
    busy--;
    stats.completed.increment();
    if (status >= 500) {
      stats.errors.increment();
    }
    statusCounts[status > 0 && status < statusCounts.length ? status : 0]++;
    servedBy.computeIfAbsent(servedByValue == null ? NO_HEADER : servedByValue, k -> new long[1])[0]++;
    latency.recordValue(Math.min(MAX_LATENCY_MICROS, Math.max(1, latencyNanos / 1000)));
  }

  void onRequestFailed(Failure failure) {
    busy--;
    stats.errors.increment();
    (failure == Failure.TIMEOUT ? stats.timeouts : stats.ioErrors).increment();
  }

  void onClosed(VirtualClient c, boolean wasIdle) {
    stats.connectionClosed();
    if (wasIdle) {
      idle.remove(c);
    }
    if (schedule == null) {
      if (moreWork()) {
        connect(c);
      }
    } else {
      down.addLast(c);
      grow();
    }
    checkFinished();
  }

  private void sweepTimeouts() {
    long now = System.nanoTime();
    for (VirtualClient c : clients) {
      if (c.overdue(now, timeoutNanos)) {
        onRequestFailed(Failure.TIMEOUT);
        c.abandon();
      }
    }
  }

  private void checkFinished() {
    if (started && !finishSignalled && busy == 0 && !moreWork()) {
      finishSignalled = true;
      finished.countDown();
    }
  }

  /** Ends the run on this loop: what is still in flight or waiting counts as unfinished. */
  void stop() {
    stopping = true;
    scheduling = false;
    stats.unfinished.add(pending.size());
    pending.clear();
    for (VirtualClient c : clients) {
      if (c.state() == VirtualClient.State.BUSY) {
        busy--;
        stats.unfinished.increment();
      }
      c.close();
    }
    if (!finishSignalled) {
      finishSignalled = true;
      finished.countDown();
    }
  }

  /** Responses by status code (0 for codes outside 1-599); call after {@link #stop()}. */
  Map<Integer, Long> statusCounts() {
    Map<Integer, Long> out = new HashMap<>();
    for (int i = 0; i < statusCounts.length; i++) {
      if (statusCounts[i] > 0) {
        out.put(i, statusCounts[i]);
      }
    }
    return out;
  }

  /** Responses by served-by header value; call after {@link #stop()}. */
  Map<String, Long> servedBy() {
    Map<String, Long> out = new HashMap<>();
    servedBy.forEach((k, v) -> out.put(k, v[0]));
    return out;
  }
}
