package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeadersSectionTest {
  @TempDir Path dir;

  private String error(String yaml) throws IOException {
    return ConfigFiles.error(dir, "bad.yaml", yaml);
  }

  @Test
  void setsKeepTheFilesOrderAndTheNamesCase() throws IOException {
    StcConfig.HeaderEdits h = ConfigLoader.load(Files.writeString(dir.resolve("h.yaml"),
        "headers:\n  response:\n    set: {X-B: 2, x-a: \"1; mode=block\"}\n    remove: [Server]\n")).headers();
    assertThat(h.responseSet().keySet()).containsExactly("X-B", "x-a");
    assertThat(h.responseSet().get("x-a")).isEqualTo("1; mode=block");
    assertThat(h.responseRemove()).isEqualTo(List.of("Server"));
    assertThat(h.requestSet()).isEmpty();
    assertThat(ConfigLoader.load(Files.writeString(dir.resolve("e.yaml"), "port: 1\n")).headers())
        .isEqualTo(StcConfig.HeaderEdits.defaults());
  }

  @Test
  void fieldsStcFramesOrVouchesForCannotBeEdited() throws IOException {
    assertThat(error("headers:\n  request:\n    set: {X-Forwarded-For: 1.2.3.4}\n"))
        .isEqualTo("3: headers.request.set.X-Forwarded-For: 'X-Forwarded-For' is framed or set by stc itself and cannot be edited");
    assertThat(error("headers:\n  response:\n    remove: [Content-Length]\n"))
        .isEqualTo("3: headers.response.remove[0]: 'Content-Length' is framed or set by stc itself and cannot be edited");
    assertThat(error("headers:\n  response:\n    set: {\"X Bad\": 1}\n")).contains("expected a header name");
    assertThat(error("headers:\n  response:\n    set: {X-A: 1, x-a: 2}\n")).contains("'x-a' is set twice");
    assertThat(error("headers:\n  response:\n    set: {X-A: \"caf\u00e9\"}\n")).contains("visible ASCII");
    assertThat(error("headers:\n  upstream: {}\n")).startsWith("2: headers.upstream: unknown key");
    assertThat(error("headers:\n  response:\n    add: {}\n")).startsWith("3: headers.response.add: unknown key");
  }
}
