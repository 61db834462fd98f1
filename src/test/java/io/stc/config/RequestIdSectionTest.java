package io.stc.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.StcConfig.RequestId;
import io.stc.config.StcConfig.RequestId.Incoming;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestIdSectionTest {
  @TempDir Path dir;

  private RequestId requestId(String yaml) throws IOException {
    return ConfigLoader.load(Files.writeString(dir.resolve("stc.yaml"), yaml)).requestId();
  }

  private String error(String yaml) throws IOException {
    return ConfigFiles.error(dir, "bad.yaml", yaml);
  }

  @Test
  void onByDefaultAsXRequestIdKeepingAClientsOwnAndEchoingIt() throws IOException {
    assertThat(requestId("port: 1\n")).isEqualTo(new RequestId("X-Request-Id", Incoming.KEEP, true));
    assertThat(requestId("request_id:\n")).isEqualTo(RequestId.defaults());
    assertThat(requestId("request_id: true\n")).isEqualTo(RequestId.defaults());
  }

  @Test
  void offInEveryYamlSpelling() throws IOException {
    for (String off : new String[] {"off", "false", "no"}) {
      assertThat(requestId("request_id: " + off + "\n").enabled()).as(off).isFalse();
    }
  }

  @Test
  void eachKeyAlone() throws IOException {
    assertThat(requestId("request_id:\n  header: X-Correlation-ID\n"))
        .isEqualTo(new RequestId("X-Correlation-ID", Incoming.KEEP, true));
    assertThat(requestId("request_id:\n  incoming: replace\n").incoming()).isEqualTo(Incoming.REPLACE);
    assertThat(requestId("request_id:\n  incoming: TRUSTED\n").incoming()).isEqualTo(Incoming.TRUSTED);
    assertThat(requestId("request_id:\n  response: off\n").response()).isFalse();
  }

  @Test
  void badValuesNameTheLineTheKeyAndTheProblem() throws IOException {
    assertThat(error("request_id:\n  header: \"X Request\"\n"))
        .isEqualTo("2: request_id.header: expected a header name like X-Request-Id, got 'X Request'");
    assertThat(error("request_id:\n  header: X-Forwarded-For\n"))
        .isEqualTo("2: request_id.header: 'X-Forwarded-For' is a header stc sets or drops itself; name another, like X-Request-Id");
    assertThat(error("request_id:\n  incoming: always\n"))
        .isEqualTo("2: request_id.incoming: expected keep, trusted or replace, got 'always'");
    assertThat(error("request_id:\n  response: maybe\n")).startsWith("2: request_id.response: expected true or false");
    assertThat(error("request_id:\n  name: X-Id\n")).startsWith("2: request_id.name: unknown key");
    assertThat(error("request_id: X-Id\n")).startsWith("1: request_id: expected a mapping");
  }
}
