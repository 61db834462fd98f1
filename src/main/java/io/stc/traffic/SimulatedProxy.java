package io.stc.traffic;

import io.stc.VirtualTime;
import io.stc.backend.InstanceModel;
import io.stc.balance.Balancer;
import io.stc.balance.Request;
import io.stc.pool.Backend;
import io.stc.pool.Pool;
import io.stc.pool.PoolEvent;
import io.stc.pool.Upstream;
import io.stc.proxy.RequestQueue;
import io.stc.scale.QueueGauge;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The proxy's admission path in virtual time, as {@code ClientConnection} and {@code QueuePlace}
 * do it, on the proxy's own {@link RequestQueue}: the real balancer picks from the real pool, a
 * backend takes a request only below {@code max_inflight}, and otherwise the request waits in the
 * FIFO queue (no overtaking) until a slot frees, its queue timeout passes, or the queue would hold
 * too much memory. A woken waiter tries for its slot as a task of its own, as it would on its
 * event loop.
 */
final class SimulatedProxy implements QueueGauge {
  /**
   * What a simulated request holds while it waits, as the proxy would count a small GET: the
   * connection and a head of a few hundred bytes.
   */
  static final long REQUEST_BYTES = 4096 + 300;

  /** A request's life: arrival, queueing, service. */
  static final class Exchange implements Request, RequestQueue.Waiter {
    private static final String[] CLIENTS = clients();

    final long arrivalNanos;
    final double noise;
    private final String clientIp;
    private SimulatedProxy proxy;
    boolean waiting;
    Backend backend;
    SimulatedProvider.Model instance;
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

    @Override
    public void wake() {
      SimulatedProxy p = proxy;
      p.time.soon(() -> p.onWoken(this));
    }

    @Override
    public long bytes() {
      return REQUEST_BYTES;
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
    /** {@code e} went to an instance; it finishes after {@code serviceNanos}. */
    void dispatched(Exchange e, long serviceNanos);

    /** {@code e} got a 503 for {@code why}. */
    void rejected(Exchange e, Rejection why);
  }

  /** Why a request was turned away. */
  enum Rejection {
    QUEUE_FULL,
    QUEUE_TIMEOUT
  }

  private final VirtualTime time;
  private final Upstream upstream;
  private final Balancer balancer;
  private final SimulatedProvider instances;
  private final int maxInflight;
  private final long queueTimeoutNanos;
  private final double serviceNanos;
  private final Outcomes outcomes;
  private final RequestQueue queue;
  private final Map<Backend, SimulatedProvider.Model> models = new IdentityHashMap<>();
  private long turnedAway;
  long dequeued;
  long waitNanos;

  SimulatedProxy(
      VirtualTime time, Upstream upstream, Balancer balancer, SimulatedProvider instances, SimulationOptions o,
      Outcomes outcomes) {
    this.time = time;
    this.upstream = upstream;
    this.balancer = balancer;
    this.instances = instances;
    this.maxInflight = o.maxInflight();
    this.queueTimeoutNanos = o.queueTimeout().toNanos();
    this.serviceNanos = o.serviceTime().toNanos();
    this.outcomes = outcomes;
    this.queue = new RequestQueue(o.queueMax(), o.queueMemory());
    upstream.addListener(this::onPoolEvent);
  }

  /** A new request: straight to a backend with room, else into the queue. */
  void arrive(Exchange e) {
    e.proxy = this;
    if (queue.hasWaiters()) {
      // Others are already waiting for room: no overtaking.
      join(e);
      return;
    }
    Backend b = pick(e);
    if (b != null) {
      dispatch(e, b);
    } else {
      // As stc with autoscaling: wait for an instance even when none is up (scale from zero).
      join(e);
    }
  }

  /** A request's attempt on its backend ended: the slot goes to the oldest waiter. */
  void finished(Exchange e, boolean failed) {
    e.backend.stats().requestFinished(time.nanos() - e.dispatchNanos, failed);
    if (queue.size() > 0) {
      queue.wake(1);
    }
  }

  private void join(Exchange e) {
    if (!queue.offer(e)) {
      turnedAway++;
      outcomes.rejected(e, Rejection.QUEUE_FULL);
      return;
    }
    e.waiting = true;
    time.after(queueTimeoutNanos, () -> {
      if (e.waiting && queue.remove(e)) {
        e.waiting = false;
        turnedAway++;
        outcomes.rejected(e, Rejection.QUEUE_TIMEOUT);
      }
    });
    // A slot may have freed with nobody to wake.
    queue.wakeForFree(freeSlots());
  }

  private void onWoken(Exchange e) {
    try {
      if (!e.waiting) {
        return;
      }
      e.waiting = false;
      Backend b = pick(e);
      if (b != null) {
        dequeued++;
        waitNanos += time.nanos() - e.arrivalNanos;
        dispatch(e, b);
      } else {
        // Someone else took the slot: back to the front of the line, for the next one.
        e.waiting = true;
        queue.putBack(e);
      }
    } finally {
      queue.settled();
    }
  }

  private void onPoolEvent(PoolEvent event) {
    if (event.kind() == PoolEvent.Kind.REMOVED) {
      models.remove(event.backend());
    }
    if (queue.size() > 0 && event.kind() != PoolEvent.Kind.REMOVED) {
      // A backend came UP or was added: it may take waiters at once.
      queue.wakeForFree(freeSlots());
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

  private void dispatch(Exchange e, Backend b) {
    SimulatedProvider.Model instance = models.computeIfAbsent(b, x -> instances.model(x.id()));
    // This request is in flight already: the others are the rest.
    double service = InstanceModel.serviceTime(serviceNanos, b.stats().inFlight() - 1, instance.capacity, e.noise);
    e.backend = b;
    e.instance = instance;
    e.dispatchNanos = time.nanos();
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

  /** Requests in flight at the instances of the pool. */
  int inFlight() {
    int n = 0;
    for (Backend b : upstream.pool().all()) {
      n += b.stats().inFlight();
    }
    return n;
  }

  @Override
  public int depth() {
    return queue.size();
  }

  @Override
  public long turnedAway() {
    return turnedAway;
  }

  @Override
  public long dequeued() {
    return dequeued;
  }

  @Override
  public long waitNanos() {
    return waitNanos;
  }
}
