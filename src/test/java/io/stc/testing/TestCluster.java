package io.stc.testing;

import io.stc.StcServer;
import io.stc.backend.BackendOptions;
import io.stc.backend.DemoBackend;
import io.stc.config.StcConfig;
import io.stc.pool.Backend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Real demo backends on free loopback ports behind a real stc, for tests; closes all of it. */
public final class TestCluster implements AutoCloseable {
  public final List<DemoBackend> backends = new ArrayList<>();
  public final StcServer stc;
  public final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** Where the control plane saves API changes: a fresh directory, so clusters never share state. */
  public final Path stateDir;

  private TestCluster(List<BackendOptions> options, UnaryOperator<StcConfig> tweak) throws InterruptedException {
    List<StcConfig.BackendConfig> configs = new ArrayList<>();
    try {
      stateDir = Files.createTempDirectory("stc-state-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      for (BackendOptions o : options) {
        DemoBackend b = DemoBackend.started(o);
        backends.add(b);
        configs.add(new StcConfig.BackendConfig(o.host(), b.port(), 1));
      }
      StcConfig config =
          tweak.apply(
              StcConfig.defaults()
                  .withHost("127.0.0.1")
                  .withPort(0)
                  .withIoThreads(2)
                  .withBackends(configs)
                  .withAdmin(StcConfig.Admin.defaults().withPort(0))
                  .withStateDir(stateDir.toString())
                  .withHealth(new StcConfig.Health(true, "/health", Duration.ofMillis(200), Duration.ofMillis(500), 2, 3)));
      stc = new StcServer(config);
      stc.start();
      if (config.health().enabled()) {
        // On a loaded machine the first probes can outlast the server's start-up wait; at least, because an
        // autoscaler may have added instances of its own.
        org.awaitility.Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> stc.upstream().pool().all().stream().filter(Backend::isAvailable).count() >= configs.size());
      }
    } catch (RuntimeException | InterruptedException e) {
      backends.forEach(DemoBackend::close);
      deleteStateDir();
      throw e;
    }
  }

  /** {@code n} fast backends. */
  public static TestCluster of(int n) throws InterruptedException {
    return of(n, UnaryOperator.identity());
  }

  public static TestCluster of(int n, UnaryOperator<StcConfig> tweak) throws InterruptedException {
    List<BackendOptions> options = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      options.add(BackendOptions.defaults().withName("b" + i));
    }
    return new TestCluster(options, tweak);
  }

  public static TestCluster of(List<BackendOptions> options, UnaryOperator<StcConfig> tweak) throws InterruptedException {
    return new TestCluster(options, tweak);
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + stc.port() + path);
  }

  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The pool's view of the backend at this index. */
  public Backend backend(int i) {
    return stc.upstream().pool().find("127.0.0.1:" + backends.get(i).port());
  }

  public String id(int i) {
    return "127.0.0.1:" + backends.get(i).port();
  }

  @Override
  public void close() throws InterruptedException {
    try {
      stc.close(Duration.ofSeconds(2));
    } finally {
      backends.forEach(DemoBackend::close);
      deleteStateDir();
    }
  }

  /** The admin API at {@code path}. */
  public URI adminUri(String path) {
    return URI.create("http://127.0.0.1:" + stc.adminPort() + path);
  }

  private void deleteStateDir() {
    try (var files = Files.walk(stateDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A temp directory left behind harms nothing.
    }
  }
}
