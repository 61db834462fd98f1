package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressionSectionTest {
  @TempDir Path dir;

  @Test
  void offByDefaultWithTextTypesAndEachKeyAlone() throws IOException {
    StcConfig.Compression d = ConfigLoader.load(Files.writeString(dir.resolve("a.yaml"), "port: 1\n")).compression();
    assertThat(d.enabled()).isFalse();
    assertThat(d.types()).contains("text/html", "application/json", "image/svg+xml").doesNotContain("text/event-stream");
    StcConfig.Compression on = ConfigLoader.load(Files.writeString(dir.resolve("b.yaml"), "compression: {enabled: true}\n")).compression();
    assertThat(on).isEqualTo(new StcConfig.Compression(true, d.types(), d.minLength(), d.level()));
    assertThat(ConfigLoader.load(Files.writeString(dir.resolve("c.yaml"), "compression:\n  types: []\n")).compression().types())
        .isEmpty();
  }

  @Test
  void badValuesNameTheLineAndTheKey() throws IOException {
    assertThat(ConfigFiles.error(dir, "x.yaml", "compression:\n  level: 0\n")).startsWith("2: compression.level: expected");
    assertThat(ConfigFiles.error(dir, "y.yaml", "compression:\n  types: [html]\n"))
        .isEqualTo("2: compression.types[0]: expected a media type like text/html or text/*, got 'html'");
    assertThat(ConfigFiles.error(dir, "z.yaml", "compression:\n  min_length: lots\n")).startsWith("2: compression.min_length:");
    assertThat(ConfigFiles.error(dir, "w.yaml", "compression:\n  gzip: true\n")).startsWith("2: compression.gzip: unknown key");
  }
}
