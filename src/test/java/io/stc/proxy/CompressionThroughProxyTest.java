package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.config.StcConfig;
import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RawHttp;
import io.stc.testing.ScriptedBackend;
import io.stc.testing.TestCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code compression}: listed types go gzip-encoded to clients that take gzip, over HTTP/1.1,
 * HTTP/1.0 and HTTP/2, Content-Length and chunked bodies alike, trailers kept, a stream decodable
 * piece by piece; everything else goes as the backend sent it.
 */
class CompressionThroughProxyTest {
  static final String JSON = "{\"items\":[" + "{\"id\":1,\"name\":\"widget\",\"tags\":[\"a\",\"b\"]},".repeat(300) + "{}]}";
  static ScriptedBackend backend;
  static TestCluster cluster;
  static final HttpClient HTTP1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final HttpClient HTTP2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static void script(String id, String head, byte[]... pieces) {
    List<byte[]> all = new java.util.ArrayList<>();
    all.add(ascii(head));
    all.addAll(List.of(pieces));
    backend.script(id, new ScriptedBackend.Script(all, true, ScriptedBackend.After.KEEP));
  }

  @BeforeAll
  static void start() throws Exception {
    backend = new ScriptedBackend();
    String json = "Content-Type: application/json; charset=utf-8\r\n";
    script("json", "HTTP/1.1 200 OK\r\n" + json + "ETag: \"v1\"\r\nAccept-Ranges: bytes\r\nContent-Length: " + JSON.length() + "\r\n\r\n", ascii(JSON));
    script("small", "HTTP/1.1 200 OK\r\n" + json + "Content-Length: 2\r\n\r\n{}");
    script("png", "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: " + JSON.length() + "\r\n\r\n", ascii(JSON));
    script("encoded", "HTTP/1.1 200 OK\r\n" + json + "Content-Encoding: br\r\nContent-Length: " + JSON.length() + "\r\n\r\n",
        ascii(JSON));
    script("notransform", "HTTP/1.1 200 OK\r\n" + json + "Cache-Control: public, no-transform\r\nContent-Length: "
        + JSON.length() + "\r\n\r\n", ascii(JSON));
    String half = JSON.substring(0, 4000);
    String rest = JSON.substring(4000);
    script("chunked", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n",
        ascii(Integer.toHexString(half.length()) + "\r\n" + half + "\r\n"),
        ascii(Integer.toHexString(rest.length()) + "\r\n" + rest + "\r\n0\r\nX-Sum: 42\r\n\r\n"));
    backend.script("stream", new ScriptedBackend.Script(List.of(
        ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ascii("14\r\nthe first line here\n\r\n")), true, ScriptedBackend.After.HOLD));
    cluster = TestCluster.of(0, cfg -> RawBackend.alone(cfg)
        .withCompression(new StcConfig.Compression(true, StcConfig.Compression.DEFAULT_TYPES, 1024, 5)));
    cluster.stc.upstream().add("s", "127.0.0.1", backend.port(), 1, BackendState.UP);
  }

  /** Every encoding that began has given its deflater back: ended, or abandoned with its client. */
  @org.junit.jupiter.api.AfterEach
  void deflatersAreGivenBack() {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> cluster.stc.proxy().deflatersInUse() == 0);
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
    backend.close();
  }

  static HttpResponse<byte[]> get(HttpClient client, String path, String acceptEncoding) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.stc.port() + path))
        .timeout(Duration.ofSeconds(10));
    if (acceptEncoding != null) {
      b.header("Accept-Encoding", acceptEncoding);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static String gunzip(byte[] body) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void aListedTypeGoesGzipEncodedOverHttp1AndHttp2() throws Exception {
    for (HttpClient client : List.of(HTTP1, HTTP2)) {
      HttpResponse<byte[]> r = get(client, "/json", "br;q=1.0, gzip;q=0.8, *;q=0.1");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("content-encoding")).contains("gzip");
      assertThat(r.headers().allValues("vary")).contains("Accept-Encoding");
      assertThat(r.headers().firstValue("etag")).as("no longer the backend's bytes").contains("W/\"v1\"");
      assertThat(r.headers().firstValue("content-length")).isEmpty();
      assertThat(r.headers().firstValue("accept-ranges")).as("no ranges of the encoded body").isEmpty();
      assertThat(r.body().length).isLessThan(JSON.length() / 10);
      assertThat(gunzip(r.body())).isEqualTo(JSON);
    }
  }

  @Test
  void aChunkedBodyIsEncodedWithItsTrailersKept() throws Exception {
    String raw = RawHttp.exchange(cluster.stc.port(),
        "GET /chunked HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nTE: trailers\r\nConnection: close\r\n\r\n");
    assertThat(raw).startsWith("HTTP/1.1 200").containsIgnoringCase("\r\ncontent-encoding: gzip\r\n")
        .containsIgnoringCase("\r\ntransfer-encoding: chunked\r\n").endsWith("\r\n0\r\nX-Sum: 42\r\n\r\n");
    String body = raw.substring(raw.indexOf("\r\n\r\n") + 4);
    assertThat(gunzip(dechunk(body))).isEqualTo(JSON);
    HttpResponse<byte[]> h2 = get(HTTP2, "/chunked", "gzip");
    assertThat(gunzip(h2.body())).isEqualTo(JSON);
  }

  @Test
  void anHttp10ClientGetsTheEncodedBodyUntilTheClose() throws Exception {
    String raw = RawHttp.exchange(cluster.stc.port(), "GET /json HTTP/1.0\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
    assertThat(raw).startsWith("HTTP/1.1 200").containsIgnoringCase("\r\ncontent-encoding: gzip\r\n")
        .doesNotContainIgnoringCase("content-length").doesNotContainIgnoringCase("transfer-encoding");
    assertThat(gunzip(raw.substring(raw.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.ISO_8859_1))).isEqualTo(JSON);
  }

  @Test
  void whatIsNotToBeEncodedGoesAsItCame() throws Exception {
    assertThat(get(HTTP1, "/json", null).headers().firstValue("content-encoding")).as("no Accept-Encoding").isEmpty();
    assertThat(get(HTTP1, "/json", "gzip;q=0, identity").headers().firstValue("content-encoding")).isEmpty();
    assertThat(get(HTTP1, "/json", "*;q=1, gzip;q=0").headers().firstValue("content-encoding")).isEmpty();
    assertThat(get(HTTP1, "/small", "gzip").headers().firstValue("content-encoding")).as("below min_length").isEmpty();
    assertThat(get(HTTP1, "/png", "gzip").headers().firstValue("content-encoding")).as("not a listed type").isEmpty();
    assertThat(get(HTTP1, "/encoded", "gzip").headers().allValues("content-encoding")).containsExactly("br");
    HttpResponse<byte[]> kept = get(HTTP1, "/notransform", "gzip");
    assertThat(kept.headers().firstValue("content-encoding")).isEmpty();
    assertThat(new String(kept.body(), StandardCharsets.ISO_8859_1)).isEqualTo(JSON);
    String head = RawHttp.exchange(cluster.stc.port(), "HEAD /json HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
    assertThat(head).containsIgnoringCase("content-length: " + JSON.length()).doesNotContainIgnoringCase("content-encoding");
  }

  @Test
  void aStreamIsDecodableAsItComes() throws Exception {
    try (Socket s = new Socket("127.0.0.1", cluster.stc.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(ascii("GET /stream HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"));
      InputStream in = s.getInputStream();
      String head = readLine(in);
      for (String l = head; !l.isEmpty(); l = readLine(in)) {
        head += "\n" + l;
      }
      assertThat(head.toLowerCase(java.util.Locale.ROOT)).contains("content-encoding: gzip");
      // The backend holds the rest back: what came so far must already decode.
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      String text = "";
      for (int chunk = 0; chunk < 4 && !text.endsWith("\n"); chunk++) {
        int size = Integer.parseInt(readLine(in), 16);
        got.write(in.readNBytes(size));
        readLine(in);
        byte[] all = got.toByteArray();
        Inflater inflater = new Inflater(true);
        inflater.setInput(all, 10, all.length - 10);
        byte[] out = new byte[100];
        int n = inflater.inflate(out);
        inflater.end();
        text = new String(out, 0, n, StandardCharsets.ISO_8859_1);
      }
      assertThat(text).isEqualTo("the first line here\n");
    }
  }

  static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c; (c = in.read()) != -1 && c != '\n'; ) {
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  static byte[] dechunk(String body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (true) {
      int lineEnd = body.indexOf("\r\n", i);
      int size = Integer.parseInt(body.substring(i, lineEnd).split(";")[0].trim(), 16);
      if (size == 0) {
        return out.toByteArray();
      }
      out.write(body.getBytes(StandardCharsets.ISO_8859_1), lineEnd + 2, size);
      i = lineEnd + 2 + size + 2;
    }
  }
}
