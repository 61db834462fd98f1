package io.stc.scale;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A provider whose instances start, stop and crash when the test says so. */
final class FakeProvider implements InstanceProvider {
  final Map<String, CompletableFuture<Instance>> starting = new LinkedHashMap<>();
  final List<Instance> running = new CopyOnWriteArrayList<>();
  final List<Instance> stopped = new CopyOnWriteArrayList<>();
  private final List<ExitListener> exitListeners = new CopyOnWriteArrayList<>();
  private int nextPort = 20_000;
  boolean closed;

  /** What it makes now ({@link #spec()}); a test changes it to play an upgrade. */
  volatile String spec = "v1";

  @Override
  public String kind() {
    return "fake";
  }

  @Override
  public boolean handsOver() {
    return true;
  }

  @Override
  public String spec() {
    return spec;
  }

  @Override
  public String handle(Instance instance) {
    return "fake " + instance.name();
  }

  @Override
  public void letGo(Instance instance) {
    running.remove(instance);
  }

  @Override
  public void adopt(Handover handed) {
    running.add(handed.instance());
  }

  @Override
  public synchronized CompletableFuture<Instance> start(String name) {
    CompletableFuture<Instance> f = new CompletableFuture<>();
    starting.put(name, f);
    return f;
  }

  /** Completes every start asked for so far; returns the new instances. */
  synchronized List<Instance> startAll() {
    List<Instance> started = new ArrayList<>();
    for (Map.Entry<String, CompletableFuture<Instance>> e : starting.entrySet()) {
      Instance i = new Instance(e.getKey(), "127.0.0.1", nextPort++);
      running.add(i);
      started.add(i);
      e.getValue().complete(i);
    }
    starting.clear();
    return started;
  }

  synchronized void failAll(String why) {
    starting.values().forEach(f -> f.completeExceptionally(new IllegalStateException(why)));
    starting.clear();
  }

  void crash(Instance i) {
    running.remove(i);
    exitListeners.forEach(l -> l.exited(i, "exit code 137"));
  }

  @Override
  public CompletableFuture<Void> stop(Instance instance) {
    running.remove(instance);
    stopped.add(instance);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public List<Instance> instances() {
    return List.copyOf(running);
  }

  @Override
  public void onExit(ExitListener listener) {
    exitListeners.add(listener);
  }

  @Override
  public void close() {
    closed = true;
  }
}
