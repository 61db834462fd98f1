package io.stc.scale;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache of class-data archives stays bounded: a new archive drops the ones long unused and the oldest beyond a few. */
class ClassDataArchiveTest {
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
  @TempDir Path dir;

  @Test
  void aNewArchiveDropsTheOnesNotUsedForAWeekWithTheirLocks() throws IOException {
    Path fresh = archive("fresh", Duration.ofDays(6));
    Path stale = archive("stale", Duration.ofDays(8));
    Path made = archive("made", Duration.ZERO);
    Path otherFile = Files.writeString(dir.resolve("notes.txt"), "not ours");
    Files.setLastModifiedTime(otherFile, FileTime.from(NOW.minus(Duration.ofDays(30))));

    ClassDataArchive.prune(dir, made, NOW);

    assertThat(names()).containsExactlyInAnyOrder("instance-fresh.jsa", "instance-fresh.jsa.lock",
        "instance-made.jsa", "instance-made.jsa.lock", "notes.txt");
    assertThat(fresh).exists();
    assertThat(stale).doesNotExist();
  }

  @Test
  void atMostAFewArchivesStayTheOnesUsedLast() throws IOException {
    for (int i = 0; i < 12; i++) {
      archive("a" + i, Duration.ofHours(i));
    }
    // The one just made is older by its time than all the others: it stays all the same.
    Path made = archive("made", Duration.ofHours(100));

    ClassDataArchive.prune(dir, made, NOW);

    assertThat(names().stream().filter(n -> n.endsWith(".jsa")))
        .containsExactlyInAnyOrder("instance-made.jsa", "instance-a0.jsa", "instance-a1.jsa", "instance-a2.jsa",
            "instance-a3.jsa", "instance-a4.jsa", "instance-a5.jsa", "instance-a6.jsa")
        .hasSize(ClassDataArchive.KEPT);
    // A fresh lock may be another stc's, training the archive just deleted: it stays.
    assertThat(dir.resolve("instance-a11.jsa.lock")).exists();
  }

  @Test
  void aLockLeftByATrainingThatMadeNothingGoesOnlyWhenItIsOld() throws IOException {
    Path made = archive("made", Duration.ZERO);
    Path oldLock = lock("failed-long-ago", Duration.ofDays(9));
    Path newLock = lock("training-now", Duration.ofMinutes(1));

    ClassDataArchive.prune(dir, made, NOW);

    assertThat(oldLock).doesNotExist();
    assertThat(newLock).exists();
  }

  @Test
  void usingAnArchiveMarksItUsed() throws IOException {
    Path a = dir.resolve("instance-x.jsa");
    Files.writeString(a, "archive");
    Files.setLastModifiedTime(a, FileTime.from(Instant.now().minus(Duration.ofDays(30))));
    ClassDataArchive archive = ClassDataArchive.of(List.of("java", "-jar", "x.jar"), dir, dir);
    // The archive's name comes from the command; put the file where it looks.
    Files.move(a, archive.path());

    assertThat(archive.apply(List.of("java", "-jar", "x.jar"))).contains("-XX:SharedArchiveFile=" + archive.path());
    assertThat(Files.getLastModifiedTime(archive.path()).toInstant()).isAfter(Instant.now().minus(Duration.ofHours(1)));
  }

  private Path archive(String name, Duration unusedFor) throws IOException {
    Path a = dir.resolve("instance-" + name + ".jsa");
    Files.writeString(a, "archive " + name);
    Files.setLastModifiedTime(a, FileTime.from(NOW.minus(unusedFor)));
    lock(name, unusedFor);
    return a;
  }

  private Path lock(String name, Duration age) throws IOException {
    Path l = dir.resolve("instance-" + name + ".jsa.lock");
    Files.writeString(l, "");
    Files.setLastModifiedTime(l, FileTime.from(NOW.minus(age)));
    return l;
  }

  private List<String> names() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).toList();
    }
  }
}
