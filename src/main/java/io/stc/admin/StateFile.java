package io.stc.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stc.config.StcConfig;
import io.stc.config.StcConfig.BackendConfig;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The changes operators made through the API, kept on top of the config file in
 * {@code state_dir/state.json} (written atomically) and re-applied at the next start: backends
 * added and removed, weights, backups, maintenance, the algorithm. A config reload makes the file the truth
 * again and forgets them, except maintenance of backends the file still lists.
 */
public final class StateFile {
  private static final Logger log = LoggerFactory.getLogger(StateFile.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  static final String NAME = "state.json";

  private final Path file;
  private final Set<String> baseIds = new HashSet<>();
  private final Map<String, BackendConfig> added = new LinkedHashMap<>();
  private final Set<String> removed = new LinkedHashSet<>();
  private final Map<String, Integer> weights = new LinkedHashMap<>();
  /** Backends of the file made backups, or regular ones, through the API. */
  private final Map<String, Boolean> backups = new LinkedHashMap<>();
  /** Backends of the file given a limit of their own of requests in flight (0: the top-level one) through the API. */
  private final Map<String, Integer> limits = new LinkedHashMap<>();
  private final Set<String> maint = new LinkedHashSet<>();
  private String algorithm;

  private StateFile(Path file) {
    this.file = file;
  }

  /** The state in {@code dir}; an unreadable file is reported and ignored (the next change replaces it). */
  public static StateFile load(Path dir) {
    StateFile s = new StateFile(dir.resolve(NAME));
    if (!Files.exists(s.file)) {
      return s;
    }
    try {
      JsonNode n = MAPPER.readTree(s.file.toFile());
      s.algorithm = n.path("algorithm").isTextual() ? n.get("algorithm").asText() : null;
      for (JsonNode b : n.path("added")) {
        BackendConfig c = new BackendConfig(b.get("host").asText(), b.get("port").asInt(), b.get("weight").asInt(),
            io.stc.pool.BackendProtocol.parse(b.path("protocol").asText("http1")), b.path("backup").asBoolean(false),
            b.path("max_inflight").asInt(0));
        s.added.put(c.id(), c);
      }
      n.path("removed").forEach(x -> s.removed.add(x.asText()));
      n.path("weights").fields().forEachRemaining(e -> s.weights.put(e.getKey(), e.getValue().asInt()));
      n.path("backups").fields().forEachRemaining(e -> s.backups.put(e.getKey(), e.getValue().asBoolean()));
      n.path("max_inflight").fields().forEachRemaining(e -> s.limits.put(e.getKey(), e.getValue().asInt()));
      n.path("maint").forEach(x -> s.maint.add(x.asText()));
      log.info("applying API changes saved in {}", s.file);
    } catch (IOException | RuntimeException e) {
      log.warn("ignoring unreadable state file {}: {}", s.file, e.getMessage());
      s.clear();
    }
    return s;
  }

  /** {@code base} with the saved changes applied: its backend list and algorithm. */
  public synchronized StcConfig applyTo(StcConfig base) {
    baseIds.clear();
    List<BackendConfig> out = new ArrayList<>();
    for (BackendConfig b : base.backends()) {
      baseIds.add(b.id());
      if (!removed.contains(b.id())) {
        out.add(b.withWeight(weights.getOrDefault(b.id(), b.weight())).withBackup(backups.getOrDefault(b.id(), b.backup()))
            .withMaxInflight(limits.getOrDefault(b.id(), b.maxInflight())));
      }
    }
    for (BackendConfig b : added.values()) {
      if (!baseIds.contains(b.id())) {
        out.add(b);
      }
    }
    StcConfig cfg = base.withBackends(out);
    return algorithm == null ? cfg : cfg.withAlgorithm(algorithm);
  }

  public synchronized boolean isMaint(String id) {
    return maint.contains(id);
  }

  synchronized void backendAdded(BackendConfig b) {
    removed.remove(b.id());
    if (baseIds.contains(b.id())) {
      weights.put(b.id(), b.weight());
      backups.put(b.id(), b.backup());
      limits.put(b.id(), b.maxInflight());
    } else {
      added.put(b.id(), b);
    }
    save();
  }

  synchronized void backendRemoved(String id) {
    added.remove(id);
    weights.remove(id);
    backups.remove(id);
    limits.remove(id);
    maint.remove(id);
    if (baseIds.contains(id)) {
      removed.add(id);
    }
    save();
  }

  synchronized void weightChanged(String id, int weight) {
    changed(id, a -> a.withWeight(weight), weights, weight);
  }

  synchronized void backupChanged(String id, boolean backup) {
    changed(id, a -> a.withBackup(backup), backups, backup);
  }

  synchronized void maxInflightChanged(String id, int limit) {
    changed(id, a -> a.withMaxInflight(limit), limits, limit);
  }

  /** A backend's setting changed through the API: an added backend keeps it in its entry, one of the file's in {@code ofFile}. */
  private <T> void changed(String id, java.util.function.UnaryOperator<BackendConfig> onAdded, Map<String, T> ofFile, T value) {
    BackendConfig a = added.get(id);
    if (a != null) {
      added.put(id, onAdded.apply(a));
    } else {
      ofFile.put(id, value);
    }
    save();
  }

  synchronized void maintChanged(String id, boolean on) {
    if (on ? maint.add(id) : maint.remove(id)) {
      save();
    }
  }

  synchronized void algorithmChanged(String name) {
    algorithm = name;
    save();
  }

  /**
   * Whether the backend with this id is the config file's or the API's to add and remove: listed
   * by the file as last applied, or added through the API since. The autoscaler's instances and a
   * name's other addresses are not: a reload leaves them to what added them.
   */
  synchronized boolean configures(String id) {
    return baseIds.contains(id) || added.containsKey(id);
  }

  /** After a config reload: the file is the truth again; only maintenance of backends it lists survives. */
  synchronized void rebase(StcConfig base) {
    Set<String> ids = new HashSet<>();
    base.backends().forEach(b -> ids.add(b.id()));
    Set<String> keptMaint = new LinkedHashSet<>(maint);
    keptMaint.retainAll(ids);
    clear();
    maint.addAll(keptMaint);
    baseIds.addAll(ids);
    save();
  }

  private void clear() {
    added.clear();
    removed.clear();
    weights.clear();
    backups.clear();
    limits.clear();
    maint.clear();
    algorithm = null;
  }

  private void save() {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("version", 1);
    root.put("algorithm", algorithm);
    ArrayNode a = root.putArray("added");
    for (BackendConfig b : added.values()) {
      a.addObject().put("host", b.host()).put("port", b.port()).put("weight", b.weight()).put("protocol", b.protocol().configName())
          .put("backup", b.backup()).put("max_inflight", b.maxInflight());
    }
    ArrayNode r = root.putArray("removed");
    removed.forEach(r::add);
    ObjectNode w = root.putObject("weights");
    weights.forEach(w::put);
    ObjectNode k = root.putObject("backups");
    backups.forEach(k::put);
    ObjectNode l = root.putObject("max_inflight");
    limits.forEach(l::put);
    ArrayNode m = root.putArray("maint");
    maint.forEach(m::add);
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(NAME + ".tmp");
      Files.write(tmp, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      log.error("could not save API changes to {}: {}; they hold until stc stops", file, e.getMessage());
    }
  }
}
