package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process instance's spec counts the files its command runs, so a new build written over the same
 * path is a new version at a takeover; data files it names, and other arguments, are not counted.
 */
class CommandFilesTest {
  @TempDir Path dir;

  private Path file(String name, String content, long epochMillis) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, content);
    Files.setLastModifiedTime(f, FileTime.fromMillis(epochMillis));
    return f;
  }

  @Test
  void javaCountsItsJarOrClassPathAndInterpretersTheirScriptButNeverDataFiles() throws IOException {
    Path jar = file("app.jar", "v1", 1_000_000L);
    Path lib = file("lib.jar", "lib", 2_000_000L);
    Path config = file("app.yaml", "port: 1", 3_000_000L);
    Path script = file("server.py", "print(1)", 4_000_000L);
    assertThat(CommandFiles.code(List.of("/usr/bin/java", "-jar", jar.toString(), "--config", config.toString(), "{port}")))
        .containsExactly(Path.of("/usr/bin/java"), jar);
    assertThat(CommandFiles.code(List.of("/usr/bin/java", "-cp", jar + ":" + lib, "app.Main", "{port}")))
        .containsExactly(Path.of("/usr/bin/java"), jar, lib);
    assertThat(CommandFiles.code(List.of("/usr/bin/python3.11", "-u", script.toString(), "--config", config.toString())))
        .containsExactly(Path.of("/usr/bin/python3.11"), script);
    assertThat(CommandFiles.code(List.of("/opt/app/server", "--config", config.toString(), "{port}")))
        .containsExactly(Path.of("/opt/app/server"));
    // A program named bare is found on PATH, as the start finds it.
    assertThat(CommandFiles.code(List.of("sh", "-c", "exec server {port}")).get(0).toString()).endsWith("/sh");

    String before = CommandFiles.fingerprint(List.of("/usr/bin/java", "-jar", jar.toString(), "{port}"));
    assertThat(before).contains(jar + ":2:1000000");
    Files.writeString(config, "port: 2");
    assertThat(CommandFiles.fingerprint(List.of("/usr/bin/java", "-jar", jar.toString(), "--config", config.toString(), "{port}")))
        .doesNotContain("app.yaml");
    file("app.jar", "v2", 5_000_000L);
    assertThat(CommandFiles.fingerprint(List.of("/usr/bin/java", "-jar", jar.toString(), "{port}"))).isNotEqualTo(before)
        .contains(jar + ":2:5000000");
    Files.delete(jar);
    assertThat(CommandFiles.fingerprint(List.of("/usr/bin/java", "-jar", jar.toString(), "{port}"))).contains(jar + ":absent");
  }

  @Test
  void anInstanceHandedOverFromAnEarlierBuildIsNoLongerWhatTheProviderMakes() throws IOException {
    Path jar = file("app.jar", "v1", 1_000_000L);
    List<String> command = List.of("/usr/bin/java", "-jar", jar.toString(), "--port", "{port}");
    ProcessProvider provider = new ProcessProvider(command, dir.resolve("logs"), Duration.ofSeconds(5), Duration.ofSeconds(1));
    try {
      String v1 = provider.spec();
      assertThat(provider.stillMakes(v1)).isTrue();
      // An earlier stc handed over the command alone: the command is all that is compared.
      assertThat(provider.stillMakes(String.join(" ", command))).isTrue();
      assertThat(provider.stillMakes("/usr/bin/java -jar other.jar --port {port}")).isFalse();

      // The instance keeps what it was made from, whatever is written over its files later.
      ProcessHandle self = ProcessHandle.current();
      Instance adopted = new Instance("auto-1", "127.0.0.1", 1);
      provider.adopt(new Handover(adopted, self.pid() + " " + PidFile.started(self) + " " + dir.resolve("auto-1.log"), v1));
      file("app.jar", "v2", 2_000_000L);
      assertThat(provider.specOf(adopted)).isEqualTo(v1);
      assertThat(provider.stillMakes(provider.specOf(adopted))).isFalse();
      provider.letGo(adopted);
    } finally {
      provider.close();
    }
  }
}
