package io.stc.traffic;

import io.stc.balance.Balancer;
import io.stc.balance.Request;
import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.pool.Pool;
import io.stc.pool.Upstream;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The proxy's admission path in virtual time, as {@code ClientConnection} does it: the real
 * balancer picks from the real pool, a backend takes a request only below {@code max_inflight},
 * and otherwise the request waits in a FIFO queue (no overtaking) until a slot frees, the queue
 * timeout passes, or it is rejected because the queue is full or nothing is in rotation.
 */
final class SimulatedProxy {
  /** A request's life: arrival, queueing, service. */
  static final class Exchange implements Request {
    private static final String[] CLIENTS = clients();

    final long arrivalNanos;
    final double noise;
    private final String clientIp;
    long deadlineNanos;
    boolean queued;
    SimulatedInstance instance;
    long dispatchNanos;

    Exchange(long arrivalNanos, double noise, long sequence) {
      this.arrivalNanos = arrivalNanos;
      this.noise = noise;
      this.clientIp = CLIENTS[(int) (sequence % CLIENTS.length)];
    }

    // Hashing balancers need client addresses; a few thousand clients take turns.
    @Override
    public String clientIp() {
      return clientIp;
    }

    private static String[] clients() {
      String[] ips = new String[4096];
      for (int i = 0; i < ips.length; i++) {
        ips[i] = "10.1." + (i >> 8) + "." + (i & 0xff);
      }
      return ips;
    }
  }

  /** Where the simulation hears about dispatched and rejected requests. */
  interface Outcomes {
    /** {@code e} went to {@code instance}; it finishes after {@code serviceNanos}. */
    void dispatched(Exchange e, long serviceNanos);

    /** {@code e} got a 503 for {@code why}. */
    void rejected(Exchange e, Rejection why);
  }

  /** Why a request was turned away. */
  enum Rejection {
    QUEUE_FULL,
    QUEUE_TIMEOUT
  }

  private final Upstream upstream;
  private final Balancer balancer;
  private final int maxInflight;
  private final int queueMax;
  private final long queueTimeoutNanos;
  private final double serviceNanos;
  private final Outcomes outcomes;
  private final ArrayDeque<Exchange> queue = new ArrayDeque<>();
  private final Map<Backend, SimulatedInstance> instances = new IdentityHashMap<>();
  long waited;
  long waitNanos;

  SimulatedProxy(Upstream upstream, Balancer balancer, SimulationOptions o, Outcomes outcomes) {
    this.upstream = upstream;
    this.balancer = balancer;
    this.maxInflight = o.maxInflight();
    this.queueMax = o.queueMax();
    this.queueTimeoutNanos = o.queueTimeout().toNanos();
    this.serviceNanos = o.serviceTime().toNanos();
    this.outcomes = outcomes;
  }

  /** Puts a started instance in rotation; queued requests may take it at once. */
  Backend join(SimulatedInstance instance, int port, long now) {
    Backend b = upstream.add(instance.name, "127.0.0.1", port, 1, BackendState.UP);
    instances.put(b, instance);
    wake(Math.min(queue.size(), freeSlots()), now);
    return b;
  }

  int queueDepth() {
    return queue.size();
  }

  /** A new request: straight to a backend with room, else into the queue. */
  void arrive(Exchange e, long now) {
    if (!queue.isEmpty()) {
      // Others are already waiting for room: no overtaking.
      enqueue(e, now);
      return;
    }
    Backend b = pick(e);
    if (b != null) {
      dispatch(e, b, now);
    } else {
      // As stc with autoscaling: wait for an instance even when none is up (scale from zero).
      enqueue(e, now);
    }
  }

  /** A request finished on {@code b}: its slot goes to the oldest waiter. */
  void finished(Backend b, long serviceNanos, long now) {
    b.stats().requestFinished(serviceNanos, false);
    if (!queue.isEmpty()) {
      wake(1, now);
    }
  }

  /** Rejects the waiters whose queue timeout has passed by {@code now}; all have the same timeout, so they are at the front. */
  void expire(long now) {
    while (!queue.isEmpty() && queue.peekFirst().deadlineNanos <= now) {
      outcomes.rejected(queue.pollFirst(), Rejection.QUEUE_TIMEOUT);
    }
  }

  /** Rejects everyone still waiting at the very end, when nothing will free a slot any more. */
  void expireAll() {
    while (!queue.isEmpty()) {
      outcomes.rejected(queue.pollFirst(), Rejection.QUEUE_TIMEOUT);
    }
  }

  private void enqueue(Exchange e, long now) {
    if (queue.size() >= queueMax) {
      outcomes.rejected(e, Rejection.QUEUE_FULL);
      return;
    }
    e.queued = true;
    e.deadlineNanos = now + queueTimeoutNanos;
    queue.addLast(e);
    if (freeSlots() > 0) {
      wake(1, now);
    }
  }

  private void wake(int n, long now) {
    for (int i = 0; i < n && !queue.isEmpty(); i++) {
      Exchange e = queue.pollFirst();
      Backend b = pick(e);
      if (b != null) {
        waited++;
        waitNanos += now - e.arrivalNanos;
        dispatch(e, b, now);
      } else {
        queue.addFirst(e);
        return;
      }
    }
  }

  /** The proxy's pick: the balancer's choice if it has room (three tries), else any backend with room. */
  private Backend pick(Exchange e) {
    Pool pool = upstream.pool();
    for (int i = 0; i < 3; i++) {
      Backend b = balancer.pick(e, pool);
      if (b == null) {
        return null;
      }
      if (b.stats().tryRequestStarted(maxInflight)) {
        return b;
      }
    }
    for (Backend b : pool.available()) {
      if (b.stats().tryRequestStarted(maxInflight)) {
        return b;
      }
    }
    return null;
  }

  private void dispatch(Exchange e, Backend b, long now) {
    SimulatedInstance instance = instances.get(b);
    // Each other request in flight slows this one by a capacity's share of the base time.
    int others = b.stats().inFlight() - 1;
    double service = serviceNanos * (1 + (double) others / instance.capacity) * e.noise;
    e.instance = instance;
    e.dispatchNanos = now;
    outcomes.dispatched(e, Math.max(1, Math.round(service)));
  }

  /** Free request slots across the backends in rotation. */
  private int freeSlots() {
    int free = 0;
    for (Backend b : upstream.pool().available()) {
      free += Math.max(0, maxInflight - b.stats().inFlight());
    }
    return free;
  }
}
