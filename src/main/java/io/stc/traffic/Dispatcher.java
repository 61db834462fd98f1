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
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The part of a run owned by one event loop: its virtual clients, its share of the open-loop
 * schedule (or of the closed-loop requests), the queue of due requests waiting for a free
 * connection, and its counters. Every method runs on that loop, so nothing here takes a lock.
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

  final EventLoop loop;
  final SingleWriterRecorder latency = new SingleWriterRecorder(1, MAX_LATENCY_MICROS, 3);
  private final LoadStats stats;
  private final Schedule schedule;
  private final AtomicLong tickets;
  private final long timeoutNanos;
  private final PendingRequests pending;
  private final List<VirtualClient> clients = new ArrayList<>();
  private final ArrayDeque<VirtualClient> idle = new ArrayDeque<>();
  private final long[] statusCounts = new long[600];
  private final Map<String, long[]> servedBy = new HashMap<>();
  private final CountDownLatch connectAttempts;
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
  private Throwable lastConnectFailure;

  /**
   * @param schedule this loop's share of the open-loop schedule, or null for a closed loop
   * @param tickets closed loop: requests left to take, shared by all loops
   */
  Dispatcher(
      EventLoop loop, LoadStats stats, Schedule schedule, AtomicLong tickets, long timeoutNanos,
      int queueCapacity, CountDownLatch connectAttempts, CountDownLatch finished) {
    this.loop = loop;
    this.stats = stats;
    this.schedule = schedule;
    this.tickets = tickets;
    this.timeoutNanos = timeoutNanos;
    this.pending = new PendingRequests(queueCapacity);
    this.connectAttempts = connectAttempts;
    this.finished = finished;
  }

  void add(VirtualClient client) {
    clients.add(client);
  }

  /** First connection of every client; each attempt counts down {@code connectAttempts}. */
  void connectAll() {
    clients.forEach(VirtualClient::connect);
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
    for (VirtualClient c : clients) {
      c.connect();
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
    } else if (!pending.offer(intended)) {
      stats.dropped.increment();
    }
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
    if (!started) {
      connected++;
      idle.addLast(c);
      connectAttempts.countDown();
    } else if (stopping) {
      c.close();
    } else {
      onFree(c);
    }
  }

  void onConnectFailed(VirtualClient c, Throwable cause) {
    if (!started) {
      lastConnectFailure = cause;
      connectAttempts.countDown();
      return;
    }
    stats.connectErrors.increment();
    stats.errors.increment();
    if (schedule == null && !stopping) {
      // a closed loop spends the request on the failed attempt, so a dead target cannot stall it
      takeTicket();
    }
    if (moreWork()) {
      loop.schedule(c::connect, RECONNECT_DELAY_NANOS, TimeUnit.NANOSECONDS);
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
    if (wasIdle) {
      idle.remove(c);
    }
    if (moreWork()) {
      c.connect();
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
