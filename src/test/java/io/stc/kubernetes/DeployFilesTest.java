package io.stc.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.stc.config.AutoscaleConfig.ProviderKind;
import io.stc.config.ConfigLoader;
import io.stc.config.KubernetesConfig;
import io.stc.config.StcConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files under deploy/kubernetes parse, fit together, and grant exactly what the code uses. */
class DeployFilesTest {
  private static final Path DIR = Path.of("deploy", "kubernetes");
  private static final List<JsonNode> DOCS = new ArrayList<>();

  @BeforeAll
  static void read() throws IOException {
    YAMLMapper yaml = new YAMLMapper();
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class).readValues(f.toFile())) {
          while (it.hasNext()) {
            JsonNode doc = it.next();
            if (doc != null && !doc.isNull() && !doc.isEmpty()) {
              DOCS.add(doc);
            }
          }
        }
      }
    }
  }

  private static JsonNode find(String kind, String name) {
    return DOCS.stream()
        .filter(d -> d.path("kind").asText().equals(kind) && d.path("metadata").path("name").asText().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " under " + DIR));
  }

  @Test
  void everyDocumentIsAKubernetesObjectInOneNamespace() {
    assertThat(DOCS).extracting(d -> d.path("kind").asText()).containsExactlyInAnyOrder(
        "ConfigMap", "Lease", "ServiceAccount", "Role", "RoleBinding", "Secret", "Deployment", "Service",
        "Deployment", "Service");
    for (JsonNode d : DOCS) {
      assertThat(d.path("apiVersion").asText()).as("apiVersion of %s", d.path("kind")).isNotEmpty();
      assertThat(d.path("metadata").path("name").asText()).isNotEmpty();
      assertThat(d.path("metadata").path("namespace").asText()).isEqualTo("shop");
    }
  }

  @Test
  void theRoleGrantsExactlyTheCallsTheCodeMakes() {
    Set<String> granted = new HashSet<>();
    for (JsonNode rule : find("Role", "stc").path("rules")) {
      for (JsonNode group : rule.path("apiGroups")) {
        for (JsonNode resource : rule.path("resources")) {
          for (JsonNode verb : rule.path("verbs")) {
            granted.add(group.asText() + " " + resource.asText() + " " + verb.asText());
          }
        }
      }
    }
    Set<String> used = new HashSet<>();
    for (KubernetesAccess.Rule r : KubernetesAccess.RULES) {
      for (String verb : r.verbs()) {
        used.add(r.apiGroup() + " " + r.resource() + " " + verb);
      }
    }
    assertThat(granted).isEqualTo(used);

    JsonNode binding = find("RoleBinding", "stc");
    assertThat(binding.path("roleRef").path("name").asText()).isEqualTo("stc");
    assertThat(binding.path("subjects").get(0).path("name").asText()).isEqualTo("stc");
    find("ServiceAccount", "stc");
    assertThat(podSpec("stc").path("serviceAccountName").asText()).isEqualTo("stc");
  }

  @Test
  void theConfigMapHoldsAConfigThatFitsTheOtherObjects(@TempDir Path tmp) throws IOException {
    String text = find("ConfigMap", "stc-config").path("data").path("stc.yaml").asText();
    StcConfig config = ConfigLoader.load(Files.writeString(tmp.resolve("stc.yaml"), text));
    assertThat(config.autoscale().enabled()).isTrue();
    assertThat(config.autoscale().provider().kind()).isEqualTo(ProviderKind.KUBERNETES);
    KubernetesConfig k = config.autoscale().provider().kubernetes();

    JsonNode role = find("Role", "stc");
    assertThat(namesFor(role, "deployments/scale")).containsExactly(k.deployment());
    assertThat(namesFor(role, "leases")).containsExactly(k.leaderElection().lease());
    find("Lease", k.leaderElection().lease());
    assertThat(find("Lease", k.leaderElection().lease()).path("spec").path("leaseDurationSeconds").asInt())
        .as("fabric8 reads the duration of a Lease it finds").isPositive();

    find("Service", k.service());
    assertThat(containerPorts("web")).contains(k.port());
    find("Service", k.fleet().service());
    assertThat(containerPorts("stc")).contains(k.fleet().adminPort(), config.port());
    assertThat(config.admin().port()).isEqualTo(k.fleet().adminPort());

    JsonNode mounts = podSpec("stc").path("containers").get(0).path("volumeMounts");
    List<String> paths = new ArrayList<>();
    mounts.forEach(m -> paths.add(m.path("mountPath").asText()));
    assertThat(paths).as("the Secret's sticky.key lands in state_dir")
        .contains(Path.of(config.stateDir(), "sticky.key").toString());
    assertThat(find("Secret", "stc-secrets").path("stringData").has("sticky.key")).isTrue();
  }

  @Test
  void theImageIsBuiltOnAJava17Runtime() throws IOException {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    assertThat(dockerfile).contains("FROM eclipse-temurin:17-jre").contains("COPY target/stc.jar");
    assertThat(podSpec("stc").path("containers").get(0).path("args").toString()).contains("/etc/stc/stc.yaml");
  }

  private static JsonNode podSpec(String deployment) {
    return find("Deployment", deployment).path("spec").path("template").path("spec");
  }

  private static List<Integer> containerPorts(String deployment) {
    List<Integer> ports = new ArrayList<>();
    for (JsonNode c : podSpec(deployment).path("containers")) {
      c.path("ports").forEach(p -> ports.add(p.path("containerPort").asInt()));
    }
    return ports;
  }

  private static List<String> namesFor(JsonNode role, String resource) {
    List<String> names = new ArrayList<>();
    for (JsonNode rule : role.path("rules")) {
      for (JsonNode r : rule.path("resources")) {
        if (r.asText().equals(resource)) {
          rule.path("resourceNames").forEach(n -> names.add(n.asText()));
        }
      }
    }
    return names;
  }
}
