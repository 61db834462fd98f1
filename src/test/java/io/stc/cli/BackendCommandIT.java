package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackendCommandIT {
  private static final Pattern LISTENING = Pattern.compile("backend (\\S+) listening on http://127\\.0\\.0\\.1:(\\d+)");
  private static final long BIG = 256L * 1024 * 1024;

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private Process process;

  @AfterEach
  void stopProcess() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }

  @Test
  void servesStreamsBigBodiesOnASmallHeapAndExitsZeroOnSigterm() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process =
        new ProcessBuilder(java, "-Xmx64m", "-jar", System.getProperty("stc.jar"), "backend", "--port", "0", "--name", "it1")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = CompletableFuture.supplyAsync(() -> readLine(stdout)).get(60, TimeUnit.SECONDS);
    Matcher m = LISTENING.matcher(String.valueOf(line));
    assertThat(m.matches()).as("listening line: %s", line).isTrue();
    assertThat(m.group(1)).isEqualTo("it1");
    String base = "http://127.0.0.1:" + m.group(2);

    HttpResponse<String> hello = client.send(HttpRequest.newBuilder(URI.create(base + "/hello")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(hello.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(hello.body()).getString("server")).isEqualTo("it1");

    // Four times the backend's heap each way: only streaming gets these through.
    HttpRequest upload =
        HttpRequest.newBuilder(URI.create(base + "/upload"))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new FillerStream(BIG)))
            .build();
    assertThat(new JsonObject(client.send(upload, HttpResponse.BodyHandlers.ofString()).body()).getLong("received")).isEqualTo(BIG);
    HttpResponse<InputStream> download =
        client.send(HttpRequest.newBuilder(URI.create(base + "/bytes/" + BIG)).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(countBytes(download.body())).isEqualTo(BIG);

    process.destroy(); // SIGTERM
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isZero();
  }

  private static String readLine(BufferedReader reader) {
    try {
      return reader.readLine();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long countBytes(InputStream in) throws java.io.IOException {
    try (in) {
      byte[] buf = new byte[64 * 1024];
      long total = 0;
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        total += n;
      }
      return total;
    }
  }

  /** Generates N bytes on the fly so the test holds no big body either. */
  private static final class FillerStream extends InputStream {
    private long remaining;

    FillerStream(long size) {
      this.remaining = size;
    }

    @Override
    public int read() {
      if (remaining == 0) {
        return -1;
      }
      remaining--;
      return 'u';
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (remaining == 0) {
        return -1;
      }
      int n = (int) Math.min(len, remaining);
      java.util.Arrays.fill(b, off, off + n, (byte) 'u');
      remaining -= n;
      return n;
    }
  }
}
