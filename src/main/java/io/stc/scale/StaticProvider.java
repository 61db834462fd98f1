package io.stc.scale;

import io.stc.config.StcConfig.BackendConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A fixed list of servers that someone else runs: "starting" hands out the next one not in use,
 * "stopping" gives it back. Scaling only moves them in and out of rotation; at most the listed
 * number are ever in use.
 */
public final class StaticProvider implements InstanceProvider {
  private final List<BackendConfig> servers;
  private final Map<BackendConfig, Instance> inUse = new LinkedHashMap<>();

  public StaticProvider(List<BackendConfig> servers) {
    this.servers = List.copyOf(servers);
  }

  @Override
  public String kind() {
    return "static";
  }

  @Override
  public synchronized CompletableFuture<Instance> start(String name) {
    for (BackendConfig s : servers) {
      if (!inUse.containsKey(s)) {
        Instance i = new Instance(name, s.host(), s.port());
        inUse.put(s, i);
        return CompletableFuture.completedFuture(i);
      }
    }
    return CompletableFuture.failedFuture(
        new IllegalStateException("all " + servers.size() + " static backends are in use"));
  }

  @Override
  public synchronized CompletableFuture<Void> stop(Instance instance) {
    inUse.values().remove(instance);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized List<Instance> instances() {
    return new ArrayList<>(inUse.values());
  }

  /** Static servers are not watched; the health checker takes a dead one out of rotation. */
  @Override
  public void onExit(ExitListener listener) {}

  @Override
  public synchronized void close() {
    inUse.clear();
  }
}
