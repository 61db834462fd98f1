import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.ssl.SSLContexts;

/**
 * bench/interop.sh's Java clients: the JDK's HttpClient, OkHttp and Apache HttpClient 5 through a
 * proxy in front of bench/interop/http's Go origin. Usage: JavaClients CLIENT MODE TARGET, with
 * CLIENT jdk, okhttp or httpclient5 and MODE h1, h2c or h2 (h2 needs an https target; h2c is the
 * JDK's Upgrade, the others' prior knowledge). Prints one line per check, FAIL lines for those that
 * failed, and "N/M passed" last; exits 1 when any failed. The certificate is not checked.
 */
public class JavaClients {
  private static final int UPLOAD = 1 << 20;
  private static final int ECHOED = 5_000_000;
  private static final int BIG = 8 << 20;
  private static int passed;
  private static int run;

  /** What every client does the same way: a status, a header's values, a body's length, the protocol. */
  record Answer(int status, List<String> cookies, String received, int length, String protocol) {}

  interface Client extends AutoCloseable {
    Answer get(String path) throws Exception;
    Answer post(String path, byte[] body) throws Exception;
    List<CompletableFuture<Integer>> concurrent(String path, int n);
  }

  public static void main(String[] args) throws Exception {
    String mode = args[1];
    String target = args[2];
    try (Client c = switch (args[0]) {
      case "jdk" -> jdk(mode);
      case "okhttp" -> okhttp(mode);
      case "httpclient5" -> httpclient5(mode);
      default -> throw new IllegalArgumentException("client: jdk, okhttp or httpclient5");
    }) {
      String wanted = mode.equals("h1") ? "1.1" : "2";
      check("GET: 200, body, protocol", () -> {
        Answer a = c.get(target + "/plain");
        return a.status() == 200 && a.length() == 5 && a.protocol().contains(wanted) ? null : a.toString();
      });
      // The origin answers /plain without reading the body: the answer comes before the upload ends.
      check("POST 1 MiB answered before it is read", () -> {
        Answer a = c.post(target + "/plain", new byte[UPLOAD]);
        return a.status() == 200 ? null : a.toString();
      });
      check("POST 5 MB, all of it received", () -> {
        Answer a = c.post(target + "/echo", new byte[ECHOED]);
        return a.status() == 200 && String.valueOf(ECHOED).equals(a.received()) ? null : a.toString();
      });
      check("GET 8 MiB", () -> {
        Answer a = c.get(target + "/big");
        return a.status() == 200 && a.length() == BIG ? null : a.toString();
      });
      check("401 with two Set-Cookie fields", () -> {
        Answer a = c.get(target + "/cookies");
        return a.status() == 401 && a.cookies().size() == 2 ? null : a.toString();
      });
      check("100 requests at once", () -> {
        int ok = 0;
        for (CompletableFuture<Integer> f : c.concurrent(target + "/plain", 100)) {
          ok += f.get(60, TimeUnit.SECONDS) == 200 ? 1 : 0;
        }
        return ok == 100 ? null : ok + " of 100";
      });
    }
    System.out.println(passed + "/" + run + " passed");
    System.exit(passed == run ? 0 : 1);
  }

  interface Check {
    /** Null when it passed, else what was seen. */
    String run() throws Exception;
  }

  private static void check(String name, Check check) {
    run++;
    String failure;
    try {
      failure = check.run();
    } catch (Exception e) {
      failure = e.toString();
    }
    if (failure == null) {
      passed++;
      System.out.println("ok   " + name);
    } else {
      System.out.println("FAIL " + name + ": " + failure);
    }
  }

  private static final X509TrustManager TRUST_ALL = new X509TrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String type) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String type) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };

  private static SSLContext trustAll() throws Exception {
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, new TrustManager[] {TRUST_ALL}, null);
    return ssl;
  }

  private static Client jdk(String mode) throws Exception {
    System.setProperty("jdk.internal.httpclient.disableHostnameVerification", "true");
    HttpClient c = HttpClient.newBuilder().sslContext(trustAll())
        .version(mode.equals("h1") ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2).build();
    return new Client() {
      Answer answer(HttpResponse<byte[]> r) {
        return new Answer(r.statusCode(), r.headers().allValues("set-cookie"), r.headers().firstValue("x-received").orElse(""),
            r.body().length, r.version() == HttpClient.Version.HTTP_2 ? "2" : "1.1");
      }

      @Override
      public Answer get(String path) throws Exception {
        return answer(c.send(HttpRequest.newBuilder(URI.create(path)).build(), HttpResponse.BodyHandlers.ofByteArray()));
      }

      @Override
      public Answer post(String path, byte[] body) throws Exception {
        // A bound on the call: Java 17's client waited a minute here once (bench/RESULTS.md).
        return answer(c.sendAsync(HttpRequest.newBuilder(URI.create(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            HttpResponse.BodyHandlers.ofByteArray()).get(30, TimeUnit.SECONDS));
      }

      @Override
      public List<CompletableFuture<Integer>> concurrent(String path, int n) {
        List<CompletableFuture<Integer>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          all.add(c.sendAsync(HttpRequest.newBuilder(URI.create(path + "?i=" + i)).build(), HttpResponse.BodyHandlers.discarding())
              .thenApply(HttpResponse::statusCode).exceptionally(e -> -1));
        }
        return all;
      }

      @Override
      public void close() {}
    };
  }

  private static Client okhttp(String mode) throws Exception {
    OkHttpClient.Builder b = new OkHttpClient.Builder().sslSocketFactory(trustAll().getSocketFactory(), TRUST_ALL)
        .hostnameVerifier((host, session) -> true);
    b.protocols(switch (mode) {
      case "h1" -> List.of(Protocol.HTTP_1_1);
      case "h2c" -> List.of(Protocol.H2_PRIOR_KNOWLEDGE);
      default -> List.of(Protocol.HTTP_2, Protocol.HTTP_1_1);
    });
    OkHttpClient c = b.build();
    c.dispatcher().setMaxRequests(200);
    c.dispatcher().setMaxRequestsPerHost(200);
    return new Client() {
      Answer call(Request r) throws Exception {
        try (Response resp = c.newCall(r).execute()) {
          byte[] body = resp.body().bytes();
          return new Answer(resp.code(), resp.headers("set-cookie"), resp.header("x-received", ""), body.length,
              resp.protocol().toString());
        }
      }

      @Override
      public Answer get(String path) throws Exception {
        return call(new Request.Builder().url(path).build());
      }

      @Override
      public Answer post(String path, byte[] body) throws Exception {
        return call(new Request.Builder().url(path).post(RequestBody.create(body)).build());
      }

      @Override
      public List<CompletableFuture<Integer>> concurrent(String path, int n) {
        List<CompletableFuture<Integer>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          CompletableFuture<Integer> f = new CompletableFuture<>();
          all.add(f);
          c.newCall(new Request.Builder().url(path + "?i=" + i).build()).enqueue(new Callback() {
            @Override
            public void onFailure(Call call, java.io.IOException e) {
              f.complete(-1);
            }

            @Override
            public void onResponse(Call call, Response r) {
              f.complete(r.code());
              r.close();
            }
          });
        }
        return all;
      }

      @Override
      public void close() {
        c.dispatcher().executorService().shutdown();
        c.connectionPool().evictAll();
      }
    };
  }

  private static Client httpclient5(String mode) throws Exception {
    CloseableHttpAsyncClient c = HttpAsyncClients.custom()
        .setVersionPolicy(mode.equals("h1") ? HttpVersionPolicy.FORCE_HTTP_1 : HttpVersionPolicy.FORCE_HTTP_2)
        .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
            .setTlsStrategy(ClientTlsStrategyBuilder.create()
                .setSslContext(SSLContexts.custom().loadTrustMaterial((chain, type) -> true).build())
                .setHostVerificationPolicy(HostnameVerificationPolicy.CLIENT)
                .setHostnameVerifier(NoopHostnameVerifier.INSTANCE).build())
            .setMaxConnPerRoute(200).build())
        .build();
    c.start();
    return new Client() {
      Answer answer(SimpleHttpResponse r) {
        List<String> cookies = new ArrayList<>();
        for (var h : r.getHeaders("set-cookie")) {
          cookies.add(h.getValue());
        }
        var received = r.getFirstHeader("x-received");
        byte[] body = r.getBodyBytes();
        return new Answer(r.getCode(), cookies, received == null ? "" : received.getValue(), body == null ? 0 : body.length,
            r.getVersion().toString());
      }

      @Override
      public Answer get(String path) throws Exception {
        return answer(c.execute(SimpleRequestBuilder.get(path).build(), null).get(30, TimeUnit.SECONDS));
      }

      @Override
      public Answer post(String path, byte[] body) throws Exception {
        return answer(c.execute(SimpleRequestBuilder.post(path).setBody(body, ContentType.APPLICATION_OCTET_STREAM).build(), null)
            .get(30, TimeUnit.SECONDS));
      }

      @Override
      public List<CompletableFuture<Integer>> concurrent(String path, int n) {
        List<CompletableFuture<Integer>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          var f = c.execute(SimpleRequestBuilder.get(path + "?i=" + i).build(), null);
          all.add(CompletableFuture.supplyAsync(() -> {
            try {
              return f.get(60, TimeUnit.SECONDS).getCode();
            } catch (Exception e) {
              return -1;
            }
          }));
        }
        return all;
      }

      @Override
      public void close() throws Exception {
        c.close();
      }
    };
  }
}
