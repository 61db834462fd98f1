package io.stc.scale;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the autoscaler gets instances from: local processes, containers, a fixed list, or a Kubernetes
 * Deployment. The autoscaler only starts, stops and lists; how an instance comes to exist is the
 * provider's business.
 *
 * <p>Some providers also <em>discover</em>: an orchestrator creates and replaces instances on its
 * own (a ReplicaSet's pods), and the provider reports them as they come and go. The autoscaler
 * adopts what such a provider reports and leaves replacing lost instances to it.
 *
 * <p>Implementations must be thread-safe; futures may complete on any thread.
 */
public interface InstanceProvider extends AutoCloseable {
  /** What an instance that ended without being asked to is reported to. */
  @FunctionalInterface
  interface ExitListener {
    /** {@code detail} says how it ended, for the log (an exit code, a log file to read). */
    void exited(Instance instance, String detail);
  }

  /** What a discovering provider reports; calls must not block (they may come from the provider's watch thread). */
  interface DiscoveryListener {
    /** A serving instance that no {@link #start} asked for: it was there already, or replaces one that left. */
    void appeared(Instance instance);

    /** An instance on its way out (a terminating pod): no new requests, let the current ones finish. */
    void leaving(Instance instance, String detail);

    /** An instance that is gone. */
    void gone(Instance instance, String detail);
  }

  /** A short description for logs, such as {@code process} or {@code static}. */
  String kind();

  /**
   * Starts an instance. {@code name} is a suggestion that the provider may replace with its own
   * (a pod name). The future completes once the instance accepts connections; it fails when the
   * instance could not be started, and then nothing is left running.
   */
  CompletableFuture<Instance> start(String name);

  /** Stops an instance gracefully, forcibly after a grace period; completes once it is gone. */
  CompletableFuture<Void> stop(Instance instance);

  /** The instances started and not yet stopped or exited. */
  List<Instance> instances();

  /** Registers a listener for instances that end on their own (crash, killed from outside). */
  void onExit(ExitListener listener);

  /**
   * Whether instances come and go on their own (see {@link DiscoveryListener}). Such a provider
   * lists them in {@link #instances()} and replaces lost ones itself.
   */
  default boolean discovers() {
    return false;
  }

  /**
   * Subscribes to instances coming and going on their own; from this call on, {@link #instances()}
   * holds every serving instance the provider knows and the listener hears about each change after
   * it. Providers that do not discover never call it.
   */
  default void onDiscovery(DiscoveryListener listener) {}

  /**
   * Whether its instances can outlive this process and be taken over by a new stc that takes its
   * place ({@code stc serve --takeover}): {@link #handle}, {@link #letGo} and {@link #adopt} work.
   */
  default boolean handsOver() {
    return false;
  }

  /**
   * What the instances it starts now are made from (a process's command, a container's image and
   * settings), to tell an instance handed over from another stc that was made from something else
   * (an upgrade of the service): compared, never parsed.
   */
  default String spec() {
    return "";
  }

  /** What {@code instance} was made from ({@link #spec()} as it was then, or as it was handed over). */
  default String specOf(Instance instance) {
    return spec();
  }

  /** Whether an instance handed over, made from {@code handed}, is what this provider makes now. */
  default boolean stillMakes(String handed) {
    return handed.equals(spec());
  }

  /** What another process needs to {@link #adopt} a running instance; only when {@link #handsOver()}. */
  default String handle(Instance instance) {
    throw new UnsupportedOperationException(kind() + " instances are not handed over");
  }

  /** Forgets a running instance without stopping it: another process has taken it over. */
  default void letGo(Instance instance) {
    throw new UnsupportedOperationException(kind() + " instances are not handed over");
  }

  /**
   * Takes over an instance another process ran and handed over, watching it as one of its own;
   * until {@link #keepAdopted()}, closing the provider leaves it running (the other process may
   * still take it back).
   *
   * @throws java.io.IOException when the instance is not there as handed (gone, or another process)
   */
  default void adopt(Handover handed) throws java.io.IOException {
    throw new java.io.IOException(kind() + " instances cannot be taken over");
  }

  /** The adopted instances are this process's for good: the other one has let them go. */
  default void keepAdopted() {}

  /** Releases the provider, stopping whatever instances it still runs that it owns. */
  @Override
  void close();
}
