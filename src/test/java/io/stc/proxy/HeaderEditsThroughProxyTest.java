package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.Http2TestClient;
import io.stc.testing.RawBackend;
import io.stc.testing.RawHttp;
import io.stc.testing.RecordingBackend;
import io.stc.testing.ScriptedBackend;
import io.stc.testing.TestCluster;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code headers}: fields set on requests to backends and responses to clients replace their namesakes; removed ones go nowhere. */
class HeaderEditsThroughProxyTest {
  static final StcConfig.HeaderEdits EDITS = new StcConfig.HeaderEdits(
      Map.of("X-Env", "prod"), List.of("X-Debug"),
      new LinkedHashMap<>(Map.of("X-Frame-Options", "DENY")), List.of("Server", "X-Powered-By"));

  @Test
  void requestFieldsAreSetAndRemovedInEitherSpelling() throws Exception {
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withHeaders(EDITS))) {
      c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
      assertThat(RawHttp.exchange(c.stc.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Env: dev\r\nx_env: qa\r\nX-Debug: 1\r\n"
          + "X_Debug: 2\r\nX-Kept: yes\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200");
      String got = backend.requests.get(0);
      assertThat(got).contains("X-Env: prod\r\n").contains("X-Kept: yes\r\n");
      assertThat(got.toLowerCase(Locale.ROOT)).containsOnlyOnce("x-env").doesNotContain("x_env").doesNotContain("x-debug")
          .doesNotContain("x_debug");
    }
  }

  @Test
  void responseFieldsAreSetAndRemovedOnBackendsAnswersAndStcsOwn() throws Exception {
    try (ScriptedBackend backend = new ScriptedBackend();
        TestCluster c = TestCluster.of(0, cfg -> RawBackend.alone(cfg).withHeaders(EDITS))) {
      byte[] answer = ("HTTP/1.1 200 OK\r\nServer: Apache/2.4.1\r\nX-Powered-By: PHP/5.2\r\nX-Frame-Options: ALLOWALL\r\n"
          + "x-frame-options: SAMEORIGIN\r\nContent-Length: 2\r\n\r\nok").getBytes(StandardCharsets.ISO_8859_1);
      backend.script("page", new ScriptedBackend.Script(List.of(answer), true, ScriptedBackend.After.KEEP));
      c.stc.upstream().add("s", "127.0.0.1", backend.port(), 1, BackendState.UP);

      String http1 = RawHttp.exchange(c.stc.port(), "GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(http1).startsWith("HTTP/1.1 200").endsWith("\r\n\r\nok").contains("\r\nX-Frame-Options: DENY\r\n");
      assertThat(http1.toLowerCase(Locale.ROOT)).containsOnlyOnce("x-frame-options").doesNotContain("server:")
          .doesNotContain("x-powered-by");

      try (Http2TestClient h2 = new Http2TestClient(c.stc.port())) {
        Http2TestClient.Response r = h2.get("/page");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().getAll("x-frame-options")).extracting(CharSequence::toString).containsExactly("DENY");
        assertThat(r.headers().contains("server")).isFalse();
        assertThat(r.headers().contains("x-powered-by")).isFalse();
      }

      c.stc.upstream().remove("s");
      String own = RawHttp.exchange(c.stc.port(), "GET /gone HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(own).startsWith("HTTP/1.1 503").contains("\r\nX-Frame-Options: DENY\r\n");
    }
  }
}
