package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.stc.config.DockerConfig;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerSpecTest {
  @Test
  void aContainerIsPublishedOnLoopbackWithARandomPortAndStcsLabels() {
    DockerConfig c = new DockerConfig("web:1", List.of("serve", "--port", "{port}", "--id", "{name}"),
        Map.of("NAME", "{name}", "PORT", "{port}"), 9000, null, Map.of("team", "shop"), DockerConfig.Pull.MISSING, null);
    JsonNode body = new ContainerSpec(c, "abc123").create("auto-3", 0);
    assertThat(body.path("Image").asText()).isEqualTo("web:1");
    assertThat(body.path("Cmd").toString()).isEqualTo("[\"serve\",\"--port\",\"9000\",\"--id\",\"auto-3\"]");
    assertThat(body.path("Env").toString()).isEqualTo("[\"NAME=auto-3\",\"PORT=9000\"]");
    assertThat(body.path("Labels").toString())
        .isEqualTo("{\"team\":\"shop\",\"io.stc.owner\":\"abc123\",\"io.stc.instance\":\"auto-3\"}");
    assertThat(body.path("ExposedPorts").has("9000/tcp")).isTrue();
    JsonNode binding = body.path("HostConfig").path("PortBindings").path("9000/tcp").get(0);
    assertThat(binding.path("HostIp").asText()).isEqualTo("127.0.0.1");
    assertThat(binding.path("HostPort").asText()).isEmpty();
    assertThat(new ContainerSpec(c, "abc123").containerName("auto-3")).isEqualTo("stc-abc123-auto-3");
  }

  @Test
  void theImagesOwnCommandStaysWhenNoneIsGivenAndHostNetworkGetsThePickedPort() {
    JsonNode plain = new ContainerSpec(DockerConfig.of("web", 8080), "o").create("auto-1", 0);
    assertThat(plain.has("Cmd")).isFalse();
    DockerConfig host = new DockerConfig("web", List.of(), Map.of("PORT", "{port}"), 8080, "host", Map.of(), DockerConfig.Pull.NEVER, null);
    JsonNode h = new ContainerSpec(host, "o").create("auto-1", 41234);
    assertThat(h.path("HostConfig").path("NetworkMode").asText()).isEqualTo("host");
    assertThat(h.path("HostConfig").has("PortBindings")).isFalse();
    assertThat(h.path("Env").get(0).asText()).isEqualTo("PORT=41234");
    DockerConfig net = new DockerConfig("web", List.of(), Map.of(), 8080, "shop-net", Map.of(), DockerConfig.Pull.NEVER, null);
    JsonNode n = new ContainerSpec(net, "o").create("auto-1", 0);
    assertThat(n.path("HostConfig").path("NetworkMode").asText()).isEqualTo("shop-net");
    assertThat(n.path("HostConfig").has("PortBindings")).isFalse();
  }

  @Test
  void pullsNameOneTagAlways() {
    assertThat(ContainerSpec.pullQuery("nginx")).isEqualTo("fromImage=nginx&tag=latest");
    assertThat(ContainerSpec.pullQuery("nginx:1.27")).isEqualTo("fromImage=nginx&tag=1.27");
    assertThat(ContainerSpec.pullQuery("registry:5000/shop/web")).isEqualTo("fromImage=registry%3A5000%2Fshop%2Fweb&tag=latest");
    assertThat(ContainerSpec.pullQuery("registry:5000/web:2")).isEqualTo("fromImage=registry%3A5000%2Fweb&tag=2");
    assertThat(ContainerSpec.pullQuery("web@sha256:00ff")).isEqualTo("fromImage=web%40sha256%3A00ff");
    assertThat(ContainerSpec.pullError("{\"status\":\"Pulling\"}\n{\"error\":\"manifest unknown\"}\n")).isEqualTo("manifest unknown");
    assertThat(ContainerSpec.pullError("{\"status\":\"Pulling\"}\n{\"status\":\"Downloaded newer image\"}\n")).isNull();
  }

  @Test
  void logStreamsAreDemultiplexedAndPlainTextKept() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String[] frame : new String[][] {{"1", "started\n"}, {"2", "boom\n"}}) {
      byte[] text = frame[1].getBytes(StandardCharsets.UTF_8);
      out.write(ByteBuffer.allocate(8).put((byte) Integer.parseInt(frame[0])).put((byte) 0).put((byte) 0).put((byte) 0)
          .putInt(text.length).array());
      out.write(text);
    }
    assertThat(ContainerSpec.logText(out.toByteArray())).isEqualTo("started\nboom\n");
    assertThat(ContainerSpec.logText("plain tty output\n".getBytes(StandardCharsets.UTF_8))).isEqualTo("plain tty output\n");
  }

  @Test
  void anEngineThatIsNotThereIsSaidPlainly() {
    DockerConfig c = DockerConfig.of("web", 8080).withEngine("unix:///nonexistent/docker.sock");
    assertThatThrownBy(() -> DockerProvider.connect(c, "/tmp/stc-state-none", Duration.ofSeconds(5), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot reach the Docker engine at unix:///nonexistent/docker.sock")
        .hasMessageContaining("no engine is listening there");
  }
}
