package io.stc.config;

import io.stc.config.DockerConfig.Pull;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** Reads the docker provider's keys ({@code autoscale.provider} with {@code kind: docker}). */
final class DockerSection {
  static final List<String> KEYS = List.of("image", "env", "network", "labels", "pull", "engine");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  // What the Docker CLI accepts as an image reference, loosely: no spaces or controls.
  private static final Pattern IMAGE = Pattern.compile("[a-z0-9][A-Za-z0-9._/:@+-]*");
  private static final Pattern NETWORK = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
  /** Labels stc sets itself; a user label may not take their names. */
  static final String RESERVED_LABEL_PREFIX = "io.stc.";

  private DockerSection() {}

  static DockerConfig read(ConfigMap p) {
    String image = p.require("image").as("an image name like nginx:1.27 or registry:5000/app@sha256:...", s -> {
      String t = s.trim();
      if (!IMAGE.matcher(t).matches()) {
        throw new IllegalArgumentException("expected an image reference like nginx:1.27, got '" + s + "'");
      }
      return t;
    });
    List<String> command = p.stringList("command", List.of());
    Map<String, String> env = strings(p, "env", "an environment variable name ([A-Za-z_][A-Za-z0-9_]*)", ENV_NAME);
    Map<String, String> labels = strings(p, "labels", "a label name", null);
    for (String key : labels.keySet()) {
      if (key.startsWith(RESERVED_LABEL_PREFIX)) {
        throw p.fail("labels", "label '" + key + "' is stc's own (io.stc.* labels mark the containers stc manages)");
      }
    }
    String network = p.value("network", "a network name (or host)", s -> {
      String t = s.trim();
      if (!NETWORK.matcher(t).matches()) {
        throw new IllegalArgumentException("expected a network name like host or my-net, got '" + s + "'");
      }
      return t;
    }, null);
    int port = p.integer("port", 1, 65535, DockerConfig.DEFAULT_PORT);
    if (DockerConfig.HOST_NETWORK.equals(network)) {
      if (p.has("port")) {
        throw p.fail("port", "not used with network host: stc picks a free port per instance and passes it as {port}");
      }
      boolean placed = command.stream().anyMatch(a -> a.contains("{port}")) || env.values().stream().anyMatch(v -> v.contains("{port}"));
      if (!placed) {
        throw p.fail("network", "with network host each container must listen on the port stc picks: put {port} in command or env");
      }
    }
    Pull pull = p.value("pull", "never or missing", s -> switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "never" -> Pull.NEVER;
      case "missing" -> Pull.MISSING;
      default -> throw new IllegalArgumentException("expected never or missing, got '" + s + "'");
    }, Pull.MISSING);
    String engine = p.value("engine", "unix:///path/to/docker.sock or tcp://host:port", DockerSection::engine, null);
    return new DockerConfig(image, command, env, port, network, labels, pull, engine);
  }

  /** A Docker API address as DOCKER_HOST spells it. */
  static String engine(String s) {
    String t = s.trim();
    if (t.startsWith("unix:///") || t.matches("tcp://[^/\\s]+:[0-9]{1,5}/?")) {
      return t;
    }
    throw new IllegalArgumentException("expected unix:///path/to/docker.sock or tcp://host:port, got '" + s + "'");
  }

  private static Map<String, String> strings(ConfigMap p, String key, String keyKind, Pattern keyPattern) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!p.has(key)) {
      return out;
    }
    ConfigNode section = p.require(key);
    for (Map.Entry<String, ConfigNode> e : section.asOpenMap().entrySet()) {
      String name = e.getKey();
      if (name.isBlank() || (keyPattern != null && !keyPattern.matcher(name).matches())) {
        throw e.getValue().fail("expected " + keyKind + ", got '" + name + "'");
      }
      out.put(name, e.getValue().as("a string", v -> v));
    }
    return out;
  }
}
