package io.stc.config;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What the docker provider runs and how it reaches it: one container per instance from
 * {@code image}, reached on a port published on 127.0.0.1 (no {@code network}), on the host's own
 * network ({@code network: host}), or at the container's address on a user network.
 *
 * @param command the container's command; empty: the image's own. {@code {port}} and {@code {name}} are replaced
 * @param env environment variables, with {@code {port}} and {@code {name}} replaced in the values
 * @param port the port the service listens on inside the container (with {@code network: host}: none, stc picks one and passes it as {@code {port}})
 * @param network null: publish {@code port} on 127.0.0.1; {@code host}: the host's network; else a user network's name
 * @param labels added to stc's own labels on every container
 * @param engine the Docker API address ({@code unix:///path} or {@code tcp://host:port}); null: {@code DOCKER_HOST}, else {@code unix:///var/run/docker.sock}
 */
@RecordBuilder
public record DockerConfig(
    String image, List<String> command, Map<String, String> env, int port, String network, Map<String, String> labels,
    Pull pull, String engine) implements DockerConfigBuilder.With {
  public static final int DEFAULT_PORT = 8080;
  public static final String HOST_NETWORK = "host";

  public DockerConfig {
    Objects.requireNonNull(image);
    command = List.copyOf(command);
    env = Map.copyOf(env);
    labels = Map.copyOf(labels);
    Objects.requireNonNull(pull);
  }

  /** When the image is fetched from its registry. */
  public enum Pull {
    /** Only when the engine does not have it. */
    MISSING,
    /** Never: an image the engine lacks is an error. */
    NEVER;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A container of {@code image} running its own command on port 8080, published on 127.0.0.1. */
  public static DockerConfig of(String image, int port) {
    return new DockerConfig(image, List.of(), Map.of(), port, null, Map.of(), Pull.MISSING, null);
  }

  public boolean hostNetwork() {
    return HOST_NETWORK.equals(network);
  }
}
