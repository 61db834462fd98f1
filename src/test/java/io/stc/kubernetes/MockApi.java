package io.stc.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * fabric8's mock API server for one test, in CRUD mode with expectations taking precedence (as
 * {@code @EnableKubernetesMockClient(crud = true)}), over plain HTTP. Unlike that annotation it
 * stops after the test's own {@code @AfterEach}, and a stop that stalls does not fail the test:
 * the mock's event loop can wait on a watch event it is sending while a client closes that
 * watch, which is the mock's business, not the code under test.
 */
public final class MockApi implements BeforeEachCallback, AfterEachCallback {
  private KubernetesMockServer server;
  private KubernetesClient client;

  @Override
  public void beforeEach(ExtensionContext context) {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    server = new KubernetesMockServer(
        new Context(), new MockWebServer(), responses, new KubernetesMixedDispatcher(responses), false);
    server.init();
    client = server.createClient();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    client.close();
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      // "Unable to close MockWebServer": see the class comment.
    }
  }

  public KubernetesMockServer server() {
    return server;
  }

  /** A client of the test's own, for setting up and checking objects. */
  public KubernetesClient client() {
    return client;
  }
}
