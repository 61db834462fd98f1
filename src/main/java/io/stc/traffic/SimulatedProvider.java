package io.stc.traffic;

import io.stc.VirtualTime;
import io.stc.scale.Instance;
import io.stc.scale.InstanceProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The instance provider of a {@link Simulation}: an instance listens {@code startupDelay} after it
 * is asked for, on virtual time, with a capacity of its own; it costs from the moment it is asked
 * for until it is stopped. Instances may also crash after an exponentially distributed lifetime.
 * With {@code startupParallel} set, an instance asked for while as many or more are starting takes
 * longer in proportion, as JVMs starting together on a few shared cores do; the instances asked for
 * before the traffic starts (virtual time below 0) are not slowed, so they are ready at 0.
 */
final class SimulatedProvider implements InstanceProvider {
  /** One simulated instance's life. */
  static final class Model {
    final String name;
    final int capacity;
    final long askedNanos;
    long stoppedNanos = Long.MAX_VALUE;
    Instance instance;
    private boolean crashed;

    Model(String name, int capacity, long askedNanos) {
      this.name = name;
      this.capacity = capacity;
      this.askedNanos = askedNanos;
    }

    boolean running() {
      return stoppedNanos == Long.MAX_VALUE;
    }

    /** Whether it ended on its own rather than being stopped. */
    boolean crashed() {
      return crashed;
    }

    /** Seconds it existed within {@code [from, to)}: what it cost. */
    double secondsWithin(long from, long to) {
      long start = Math.max(askedNanos, from);
      long end = Math.min(stoppedNanos, to);
      return end > start ? (end - start) / 1e9 : 0;
    }
  }

  private final VirtualTime time;
  private final long startupNanos;
  private final int startupParallel;
  private int starting;
  private final int capacityMin;
  private final int capacitySpan;
  private final SplittableRandom capacities;
  private final SplittableRandom crashes;
  private final double meanLifetimeNanos;
  private final Map<String, Model> byName = new HashMap<>();
  private final List<Model> all = new ArrayList<>();
  private final List<ExitListener> exitListeners = new CopyOnWriteArrayList<>();
  private int nextPort = 10_000;
  private long crashed;

  /** @param meanLifetimeNanos mean time until an instance crashes; 0 for never */
  SimulatedProvider(
      VirtualTime time, long startupNanos, int startupParallel, int capacityMin, int capacityMax, SplittableRandom capacities,
      SplittableRandom crashes, double meanLifetimeNanos) {
    this.time = time;
    this.startupNanos = startupNanos;
    this.startupParallel = startupParallel;
    this.capacityMin = capacityMin;
    this.capacitySpan = capacityMax - capacityMin + 1;
    this.capacities = capacities;
    this.crashes = crashes;
    this.meanLifetimeNanos = meanLifetimeNanos;
  }

  @Override
  public String kind() {
    return "simulated";
  }

  @Override
  public CompletableFuture<Instance> start(String name) {
    Model m = new Model(name, capacityMin + capacities.nextInt(capacitySpan), time.nanos());
    byName.put(name, m);
    all.add(m);
    CompletableFuture<Instance> started = new CompletableFuture<>();
    boolean counted = time.nanos() >= 0;
    long delay = startupNanos;
    if (counted) {
      starting++;
      if (startupParallel > 0 && starting > startupParallel) {
        delay = Math.round(startupNanos * (double) starting / startupParallel);
      }
    }
    time.after(delay, () -> {
      if (counted) {
        starting--;
      }
      if (!m.running()) {
        started.completeExceptionally(new IllegalStateException("closed while starting"));
        return;
      }
      m.instance = new Instance(name, "127.0.0.1", nextPort);
      nextPort = nextPort == 65_535 ? 10_000 : nextPort + 1;
      if (meanLifetimeNanos > 0) {
        time.after(Math.round(PoissonArrivals.exponential(crashes) * meanLifetimeNanos), () -> crash(m));
      }
      started.complete(m.instance);
    });
    return started;
  }

  private void crash(Model m) {
    if (!m.running()) {
      return;
    }
    m.stoppedNanos = time.nanos();
    m.crashed = true;
    crashed++;
    for (ExitListener l : exitListeners) {
      l.exited(m.instance, "simulated crash");
    }
  }

  @Override
  public CompletableFuture<Void> stop(Instance instance) {
    Model m = byName.get(instance.name());
    if (m != null && m.running()) {
      m.stoppedNanos = time.nanos();
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public List<Instance> instances() {
    List<Instance> running = new ArrayList<>();
    for (Model m : all) {
      if (m.running() && m.instance != null) {
        running.add(m.instance);
      }
    }
    return running;
  }

  @Override
  public void onExit(ExitListener listener) {
    exitListeners.add(listener);
  }

  /** The instance behind a backend of the pool (named as the instance), or null. */
  Model model(String name) {
    return byName.get(name);
  }

  /** Every instance ever asked for, in order. */
  List<Model> all() {
    return all;
  }

  /** Instances that crashed. */
  long crashed() {
    return crashed;
  }

  @Override
  public void close() {
    for (Model m : all) {
      if (m.running()) {
        m.stoppedNanos = time.nanos();
      }
    }
  }
}
