package io.stc.proxy;

import io.stc.pool.Backend;
import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.ScriptedBackend;
import io.stc.testing.TestCluster;
import java.time.Duration;

/**
 * stc in front of one {@link ScriptedBackend}, with nothing else deciding outcomes (no probes,
 * retries or breakers) and short response and body timeouts, for the misbehaviour properties.
 */
final class ScriptedProxy implements AutoCloseable {
  final ScriptedBackend backend;
  final TestCluster cluster;
  /** The scripted backend as stc's pool knows it. */
  Backend target;

  ScriptedProxy() throws Exception {
    backend = new ScriptedBackend();
    cluster = TestCluster.of(0, c -> RawBackend.alone(c).withTimeouts(c.timeouts()
        .withResponse(Duration.ofMillis(600)).withHeader(Duration.ofSeconds(5)).withBody(Duration.ofSeconds(1))));
    target = cluster.stc.upstream().add("scripted", "127.0.0.1", backend.port(), 1, BackendState.UP);
  }

  /**
   * The backend leaves the pool and comes back as a new member, with no pooled connections: bytes
   * one try's script sent unasked (an answer after the answer) cannot reach the next try's
   * requests as their answer. On one connection that race is the backend's to cause and no client
   * could tell; across tries it would only blame the wrong script.
   */
  void freshPool() {
    cluster.stc.upstream().remove("scripted");
    target = cluster.stc.upstream().add("scripted", "127.0.0.1", backend.port(), 1, BackendState.UP);
  }

  int port() {
    return cluster.stc.port();
  }

  @Override
  public void close() throws Exception {
    cluster.close();
    backend.close();
  }
}
