package io.stc.traffic;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Run-wide counters, written by the event loops and read by the per-second sampler. */
final class LoadStats {
  /** Requests due by the schedule (open loop) or taken by a virtual client (closed loop). */
  final LongAdder scheduled = new LongAdder();
  /** Requests written to a connection. */
  final LongAdder sent = new LongAdder();
  /** Requests answered with a complete response, whatever its status. */
  final LongAdder completed = new LongAdder();
  /** Connection failures, I/O failures, timeouts and 5xx responses. */
  final LongAdder errors = new LongAdder();
  /** Open loop: requests not sent because the client already held its maximum outstanding. */
  final LongAdder dropped = new LongAdder();
  /** Requests in flight or waiting when the run was stopped. */
  final LongAdder unfinished = new LongAdder();
  /** Failed connection attempts. */
  final LongAdder connectErrors = new LongAdder();
  /** Connections closed or reset while a request was in flight, or unparseable responses. */
  final LongAdder ioErrors = new LongAdder();
  /** Requests with no complete response within the timeout. */
  final LongAdder timeouts = new LongAdder();
  /** Open loop: requests that found every connection busy and none could be opened (the cap reached). */
  final LongAdder heldBack = new LongAdder();
  /** Connections established over the run. */
  final LongAdder connectionsOpened = new LongAdder();
  /** Connections open now, over all loops. */
  final AtomicInteger open = new AtomicInteger();
  /** The most connections open at once. */
  final AtomicInteger peakOpen = new AtomicInteger();

  void connectionOpened() {
    connectionsOpened.increment();
    int now = open.incrementAndGet();
    peakOpen.accumulateAndGet(now, Math::max);
  }

  void connectionClosed() {
    open.decrementAndGet();
  }
}
