package io.stc.scale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stc.config.DockerConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The Docker API's shapes for the docker provider: the body that creates an instance's container
 * (image, command, environment, stc's labels, where its port is published), the pull query, and
 * the reading of pull progress and log streams.
 */
final class ContainerSpec {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final DockerConfig config;
  private final String owner;

  ContainerSpec(DockerConfig config, String owner) {
    this.config = config;
    this.owner = owner;
  }

  /** Unique per stc (owner) and instance, so two stc's on one engine never collide. */
  String containerName(String instance) {
    return "stc-" + owner + "-" + instance.replaceAll("[^A-Za-z0-9_.-]", "-");
  }

  /** The create body; {@code hostPort} is the port picked for {@code network: host} (0 otherwise). */
  ObjectNode create(String instance, int hostPort) {
    int port = config.hostNetwork() ? hostPort : config.port();
    ObjectNode body = MAPPER.createObjectNode();
    body.put("Image", config.image());
    if (!config.command().isEmpty()) {
      ArrayNode cmd = body.putArray("Cmd");
      config.command().forEach(a -> cmd.add(fill(a, instance, port)));
    }
    ArrayNode env = body.putArray("Env");
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(config.env()).entrySet()) {
      env.add(e.getKey() + "=" + fill(e.getValue(), instance, port));
    }
    ObjectNode labels = body.putObject("Labels");
    new java.util.TreeMap<>(config.labels()).forEach(labels::put);
    labels.put(DockerProvider.OWNER_LABEL, owner);
    labels.put(DockerProvider.INSTANCE_LABEL, instance);
    ObjectNode host = body.putObject("HostConfig");
    if (config.hostNetwork()) {
      host.put("NetworkMode", DockerConfig.HOST_NETWORK);
    } else if (config.network() != null) {
      host.put("NetworkMode", config.network());
      body.putObject("ExposedPorts").putObject(port + "/tcp");
    } else {
      body.putObject("ExposedPorts").putObject(port + "/tcp");
      // An empty host port: the engine picks a free one, on loopback only.
      ObjectNode binding = host.putObject("PortBindings").putArray(port + "/tcp").addObject();
      binding.put("HostIp", "127.0.0.1");
      binding.put("HostPort", "");
    }
    return body;
  }

  private static String fill(String template, String instance, int port) {
    return template.replace("{port}", Integer.toString(port)).replace("{name}", instance);
  }

  /** {@code fromImage} and {@code tag} of an image reference (without a tag the API would pull every tag). */
  static String pullQuery(String image) {
    if (image.contains("@")) {
      return "fromImage=" + DockerEngine.encode(image);
    }
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    if (colon > slash) {
      return "fromImage=" + DockerEngine.encode(image.substring(0, colon)) + "&tag=" + DockerEngine.encode(image.substring(colon + 1));
    }
    return "fromImage=" + DockerEngine.encode(image) + "&tag=latest";
  }

  /** The error in a pull's progress stream (a 200 answer that failed), or null. */
  static String pullError(String progress) {
    for (String line : progress.split("\n")) {
      String t = line.strip();
      if (t.isEmpty()) {
        continue;
      }
      try {
        JsonNode n = MAPPER.readTree(t);
        if (n != null && n.hasNonNull("error")) {
          return n.get("error").asText();
        }
      } catch (IOException e) {
        // A progress line that is not JSON says nothing about success.
      }
    }
    return null;
  }

  /**
   * The text of a container's log stream: without a TTY the engine multiplexes stdout and stderr
   * in frames of an 8-byte header (stream, 0, 0, 0, big-endian length) and the bytes; anything
   * else is taken as plain text.
   */
  static String logText(byte[] raw) {
    StringBuilder out = new StringBuilder();
    ByteBuffer b = ByteBuffer.wrap(raw);
    while (b.remaining() >= 8) {
      int stream = b.get(b.position()) & 0xff;
      boolean header = stream <= 2 && b.get(b.position() + 1) == 0 && b.get(b.position() + 2) == 0 && b.get(b.position() + 3) == 0;
      int length = b.getInt(b.position() + 4);
      if (!header || length < 0 || length > b.remaining() - 8) {
        return new String(raw, StandardCharsets.UTF_8);
      }
      out.append(new String(raw, b.position() + 8, length, StandardCharsets.UTF_8));
      b.position(b.position() + 8 + length);
    }
    if (b.remaining() > 0 && out.length() == 0) {
      return new String(raw, StandardCharsets.UTF_8);
    }
    return out.toString();
  }
}
