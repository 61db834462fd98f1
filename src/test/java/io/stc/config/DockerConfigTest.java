package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.AutoscaleConfig.ProviderKind;
import io.stc.config.DockerConfig.Pull;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigTest {
  @TempDir Path dir;

  private AutoscaleConfig load(String yaml) throws IOException {
    return ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)).autoscale();
  }

  private String error(String yaml) throws IOException {
    return ConfigFiles.error(dir, "bad.yaml", yaml);
  }

  @Test
  void anImageIsEnoughTheRestHasDefaults() throws IOException {
    AutoscaleConfig a = load("autoscale:\n  provider: {kind: docker, image: web:1.2}\n");
    assertThat(a.provider().kind()).isEqualTo(ProviderKind.DOCKER);
    assertThat(a.provider().docker()).isEqualTo(DockerConfig.of("web:1.2", 8080));
    assertThat(a.provider().stopTimeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void readsEveryKey() throws IOException {
    AutoscaleConfig a = load("""
        autoscale:
          provider:
            kind: docker
            image: registry.local:5000/shop/web@sha256:0123abcd
            command: [serve, --port, "{port}", --name, "{name}"]
            env: {MODE: prod, INSTANCE: "{name}"}
            port: 9000
            network: shop-net
            labels: {team: shop, tier: web}
            pull: never
            stop_timeout: 20s
            engine: unix:///run/user/1000/podman/podman.sock
        """);
    assertThat(a.provider().docker()).isEqualTo(new DockerConfig("registry.local:5000/shop/web@sha256:0123abcd",
        List.of("serve", "--port", "{port}", "--name", "{name}"), Map.of("MODE", "prod", "INSTANCE", "{name}"), 9000,
        "shop-net", Map.of("team", "shop", "tier", "web"), Pull.NEVER, "unix:///run/user/1000/podman/podman.sock"));
    assertThat(a.provider().stopTimeout()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void hostNetworkNeedsThePortInTheCommandOrEnvironment() throws IOException {
    AutoscaleConfig a = load("autoscale:\n  provider: {kind: docker, image: web, network: host, env: {PORT: \"{port}\"}}\n");
    assertThat(a.provider().docker().hostNetwork()).isTrue();
    assertThat(error("autoscale:\n  provider: {kind: docker, image: web, network: host}\n"))
        .isEqualTo("2: autoscale.provider.network: with network host each container must listen on the port stc picks: "
            + "put {port} in command or env");
    assertThat(error("autoscale:\n  provider: {kind: docker, image: web, network: host, port: 80, command: [\"{port}\"]}\n"))
        .startsWith("2: autoscale.provider.port: not used with network host");
  }

  @Test
  void mistakesNameTheirKey() throws IOException {
    assertThat(error("autoscale:\n  provider: {kind: docker}\n")).isEqualTo("2: autoscale.provider.image: missing (required)");
    assertThat(error("autoscale:\n  provider:\n    kind: docker\n    image: \"web app\"\n"))
        .isEqualTo("4: autoscale.provider.image: expected an image reference like nginx:1.27, got 'web app'");
    assertThat(error("autoscale:\n  provider:\n    kind: docker\n    image: web\n    pull: always\n"))
        .isEqualTo("5: autoscale.provider.pull: expected never or missing, got 'always'");
    assertThat(error("autoscale:\n  provider:\n    kind: docker\n    image: web\n    engine: /var/run/docker.sock\n"))
        .isEqualTo("5: autoscale.provider.engine: expected unix:///path/to/docker.sock or tcp://host:port, got '/var/run/docker.sock'");
    assertThat(error("autoscale:\n  provider:\n    kind: docker\n    image: web\n    env: {\"1BAD\": x}\n"))
        .startsWith("5: autoscale.provider.env.1BAD: expected an environment variable name");
    assertThat(error("autoscale:\n  provider:\n    kind: docker\n    image: web\n    labels: {io.stc.owner: me}\n"))
        .startsWith("5: autoscale.provider.labels: label 'io.stc.owner' is stc's own");
    assertThat(error("autoscale:\n  provider:\n    kind: docker\n    image: web\n    port: 0\n"))
        .startsWith("5: autoscale.provider.port:");
    assertThat(error("autoscale:\n  provider:\n    kind: docker\n    image: web\n    log_dir: /tmp\n"))
        .startsWith("5: autoscale.provider.log_dir: not used with kind docker");
    assertThat(error("autoscale:\n  provider:\n    kind: process\n    image: web\n"))
        .isEqualTo("4: autoscale.provider.image: only used with kind docker");
    assertThat(error("autoscale:\n  provider:\n    kind: process\n    port: 80\n"))
        .isEqualTo("4: autoscale.provider.port: only used with kind kubernetes or docker");
  }
}
