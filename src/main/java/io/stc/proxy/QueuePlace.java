package io.stc.proxy;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.stc.pool.Backend;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A client connection's place in the request queue while its request waits for a backend with
 * room: woken on the connection's own loop, given up at the queue timeout.
 */
final class QueuePlace implements RequestQueue.Waiter {
  /**
   * What a waiting connection holds on the heap besides its request's head and body: its channel,
   * pipeline, decoder and exchange state, and the queue timer. An estimate, on the high side.
   */
  static final long CONNECTION_BYTES = 4096;

  private final ProxyServer proxy;
  private final EventExecutor loop;
  private final Supplier<Backend> pick;
  private final Consumer<Backend> dispatch;
  private final Consumer<ProxyFailure> fail;
  private final LongSupplier footprint;
  private final Runnable wakeTask = this::onWoken;
  private final Runnable timeoutTask = this::onTimeout;
  private boolean waiting;
  private long sinceNanos;
  private ScheduledFuture<?> timer;
  private long bytes;

  /**
   * @param pick a backend with room for the request (its slot taken), or null
   * @param dispatch sends the request to the backend picked
   * @param fail answers the request with a failure
   * @param footprint the memory the request will hold while it waits (see {@link #footprint})
   */
  QueuePlace(
      ProxyServer proxy, EventExecutor loop, Supplier<Backend> pick, Consumer<Backend> dispatch,
      Consumer<ProxyFailure> fail, LongSupplier footprint) {
    this.proxy = proxy;
    this.loop = loop;
    this.pick = pick;
    this.dispatch = dispatch;
    this.fail = fail;
    this.footprint = footprint;
  }

  /**
   * What a request holds while it waits, at most: its head, the body it may hold before its client
   * stops being read, and the connection itself.
   */
  static long footprint(HttpRequest request) {
    long head = request.uri().length() + request.method().name().length() + 16;
    for (Map.Entry<String, String> h : request.headers()) {
      head += h.getKey().length() + h.getValue().length() + 4;
    }
    long body = HttpUtil.isTransferEncodingChunked(request)
        ? RequestBody.HOLD_LIMIT
        : Math.min(Math.max(0, HttpUtil.getContentLength(request, 0L)), RequestBody.HOLD_LIMIT);
    return CONNECTION_BYTES + head + body;
  }

  @Override
  public long bytes() {
    return bytes;
  }

  /** Joins the back of the line, or answers QUEUE_FULL when the queue would hold too much memory. */
  void join() {
    bytes = footprint.getAsLong();
    if (!proxy.queue.offer(this)) {
      fail.accept(ProxyFailure.QUEUE_FULL);
      return;
    }
    waiting = true;
    sinceNanos = proxy.clock.nanos();
    timer = loop.schedule(timeoutTask, proxy.settings.queueTimeoutNanos(), TimeUnit.NANOSECONDS);
    // A slot may have freed between the failed pick and the offer, with nobody to wake.
    proxy.queue.wakeForFree(proxy.freeSlots());
  }

  /** Called on any thread by the queue: continue on the connection's own loop. */
  @Override
  public void wake() {
    loop.execute(wakeTask);
  }

  /** The connection closed: out of the line if still in it. */
  void leave() {
    if (waiting) {
      waiting = false;
      proxy.queue.remove(this);
      cancelTimer();
    }
  }

  private void onWoken() {
    try {
      if (waiting) {
        tryForSlot();
      }
    } finally {
      // Only now: until this waiter has its slot or is back in line, new arrivals queue behind it.
      proxy.queue.settled();
    }
  }

  private void tryForSlot() {
    waiting = false;
    Backend b = pick.get();
    if (b != null) {
      cancelTimer();
      proxy.stats.dequeued(proxy.clock.nanos() - sinceNanos);
      dispatch.accept(b);
      return;
    }
    if (proxy.upstream.pool().availableCount() == 0 && !proxy.settings.queueWhenEmpty()) {
      cancelTimer();
      fail.accept(ProxyFailure.NO_BACKEND);
      return;
    }
    // Someone else took the slot: back to the front of the line, for the next one.
    waiting = true;
    proxy.queue.putBack(this);
  }

  private void onTimeout() {
    timer = null;
    if (waiting && proxy.queue.remove(this)) {
      waiting = false;
      fail.accept(ProxyFailure.QUEUE_TIMEOUT);
    }
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
