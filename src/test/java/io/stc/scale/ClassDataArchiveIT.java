package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The class-data archive of a Java instance command: trained once in the background, then mapped by every instance. */
class ClassDataArchiveIT {
  @TempDir Path dir;

  @Test
  void aTrainingRunMakesTheArchiveAndLaterInstancesLoadTheirClassesFromIt() throws Exception {
    List<String> command = ProcessProviderIT.backendCommand();
    Path archives = dir.resolve("cache");
    ClassDataArchive archive = ClassDataArchive.of(command, dir.resolve("logs"), archives);
    assertThat(archive).isNotNull();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> filled = command.stream().map(a -> a.replace("{port}", Integer.toString(port)).replace("{name}", "cds")).toList();
    assertThat(archive.apply(filled)).as("no archive yet: the command as it is").isEqualTo(filled);

    archive.trainInBackground();
    await().atMost(Duration.ofSeconds(120)).until(() -> Files.isRegularFile(archive.path()));
    assertThat(Files.size(archive.path())).isPositive();
    // The training run has gone, and so has its pid file.
    await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(dir.resolve("logs/cds/training.pid")));

    List<String> withArchive = new ArrayList<>(archive.apply(filled));
    assertThat(withArchive.get(1)).isEqualTo("-XX:SharedArchiveFile=" + archive.path());
    withArchive.add(1, "-Xlog:class+load:file=" + dir.resolve("classes.txt"));
    Process p = new ProcessBuilder(withArchive).redirectErrorStream(true).redirectOutput(dir.resolve("instance.log").toFile()).start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode() == 200);
    } finally {
      p.destroy();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    String classes = Files.readString(dir.resolve("classes.txt"));
    assertThat(classes).containsPattern("io\\.stc\\.backend\\.DemoBackend source: shared objects file \\(top\\)");
    assertThat(Files.readString(dir.resolve("instance.log"))).doesNotContain("[cds]");

    // Another command (or a rebuilt jar) is another archive.
    List<String> other = new ArrayList<>(command);
    other.add("--delay");
    other.add("0.1");
    assertThat(ClassDataArchive.of(other, dir.resolve("logs"), archives).path()).isNotEqualTo(archive.path());
    assertThat(ClassDataArchive.of(List.of("python3", "-m", "http.server", "{port}"), dir, archives)).isNull();
  }

  @Test
  void aCommandThatChoosesItsOwnSharingIsLeftAlone() throws IOException {
    assertThat(ClassDataArchive.of(List.of("/usr/bin/java", "-Xshare:off", "-jar", "x.jar"), dir, dir)).isNull();
    assertThat(ClassDataArchive.of(List.of("java", "-XX:SharedArchiveFile=a.jsa", "-jar", "x.jar"), dir, dir)).isNull();
  }

  @Test
  void aClassPathWithADirectoryGetsNoArchiveForTheJvmWouldRefuseToWriteIt() throws IOException {
    // "Error: non-empty directory" at the training run's exit, every time: not worth a JVM's start.
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Files.writeString(classes.resolve("A.class"), "x");
    assertThat(ClassDataArchive.of(List.of("java", "-cp", "x.jar" + java.io.File.pathSeparator + classes, "Main"), dir, dir))
        .isNull();
    assertThat(ClassDataArchive.of(List.of("java", "-cp", "x.jar", "Main"), dir, dir)).isNotNull();
  }
}
