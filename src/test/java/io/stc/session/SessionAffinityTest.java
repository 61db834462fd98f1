package io.stc.session;

import static io.stc.session.StickyFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stc.ManualClock;
import io.stc.balance.Request;
import io.stc.config.StcConfig.Sticky;
import io.stc.config.StcConfig.Sticky.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionAffinityTest {
  private static final Sticky COOKIE = new Sticky(Mode.COOKIE, "SID", Duration.ofHours(1), 100_000, false, null);

  private final StickyFixture f = new StickyFixture();
  @TempDir Path dir;

  private String issue(StickySessions s) {
    String setCookie = s.pin(Request.NONE, f.b, null);
    assertThat(setCookie).startsWith("SID=");
    return setCookie.substring(4, setCookie.indexOf(';'));
  }

  @Test
  void offMeansNoAffinity() {
    assertThat(SessionAffinity.from(Sticky.defaults(), dir, f.clock)).isSameAs(StickySessions.NONE);
    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void ipAndHeaderModesUseATable() {
    StickySessions ip = SessionAffinity.from(
        new Sticky(Mode.IP, "STC_SID", Duration.ofMinutes(5), 10, false, null), dir, f.clock);
    StickySessions header = SessionAffinity.from(
        new Sticky(Mode.HEADER, "X-User", Duration.ofMinutes(5), 10, false, null), dir, f.clock);

    ip.pin(StickyFixture.ip("10.1.1.1"), f.c, null);
    header.pin(StickyFixture.header("X-User", "alice"), f.a, null);

    assertThat(ip).isInstanceOf(TableSessions.class);
    assertThat(ip.pinned(StickyFixture.ip("10.1.1.1"), f.pool())).isSameAs(f.c);
    assertThat(header.pinned(StickyFixture.header("X-User", "alice"), f.pool())).isSameAs(f.a);
    assertThat(header.pinned(StickyFixture.header("X-Other", "alice"), f.pool())).isNull();
    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void generatedKeyIsKeptOwnerOnlyAndReusedByTheNextInstance() throws IOException {
    Path stateDir = dir.resolve("state");
    StickySessions first = SessionAffinity.from(COOKIE, stateDir, f.clock);
    String value = issue(first);

    Path keyFile = stateDir.resolve("sticky.key");
    assertThat(Files.getPosixFilePermissions(keyFile)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(stateDir)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    try (var files = Files.list(stateDir)) {
      assertThat(files).containsExactly(keyFile);
    }
    String keyText = Files.readString(keyFile);

    StickySessions restarted = SessionAffinity.from(COOKIE, stateDir, new ManualClock());
    assertThat(restarted.pinned(cookie("SID", value), f.pool())).isSameAs(f.b);
    assertThat(Files.readString(keyFile)).isEqualTo(keyText);

    StickySessions elsewhere = SessionAffinity.from(COOKIE, dir.resolve("other"), f.clock);
    assertThat(elsewhere.pinned(cookie("SID", value), f.pool())).isNull();
  }

  @Test
  void configuredKeyIsSharedAndNothingIsWritten() {
    Sticky withKey = new Sticky(Mode.COOKIE, "SID", Duration.ofHours(1), 100_000, false, "a shared secret of some length");

    StickySessions one = SessionAffinity.from(withKey, dir, f.clock);
    StickySessions two = SessionAffinity.from(withKey, dir.resolve("elsewhere"), new ManualClock(123));

    assertThat(two.pinned(cookie("SID", issue(one)), f.pool())).isSameAs(f.b);
    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void unusableKeyFilesAreReportedClearly() throws IOException {
    Path corrupt = Files.createDirectories(dir.resolve("corrupt"));
    Files.writeString(corrupt.resolve("sticky.key"), "not base64 at all!\n");
    Path notADirectory = Files.writeString(dir.resolve("file"), "x");

    assertThatThrownBy(() -> SessionAffinity.from(COOKIE, corrupt, f.clock))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(corrupt.resolve("sticky.key").toString())
        .hasMessageContaining("delete it");
    assertThatThrownBy(() -> SessionAffinity.from(COOKIE, notADirectory, f.clock))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("state directory " + notADirectory + " is a file, not a directory");
  }
}
