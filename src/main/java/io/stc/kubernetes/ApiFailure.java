package io.stc.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Says in a line what went wrong with a Kubernetes API call, for logs: forbidden, conflict, not found, unreachable. */
final class ApiFailure {
  private ApiFailure() {}

  static String describe(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof KubernetesClientException k) {
      String reason = switch (k.getCode()) {
        case 401 -> "unauthorized (401): the credentials were refused";
        case 403 -> "forbidden (403): the service account lacks this permission (see deploy/kubernetes/rbac.yaml)";
        case 404 -> "not found (404)";
        case 409 -> "conflict (409): changed by someone else meanwhile";
        case 0 -> "no answer from the API server";
        default -> "HTTP " + k.getCode();
      };
      String detail = null;
      if (k.getStatus() != null) {
        detail = k.getStatus().getMessage() != null ? k.getStatus().getMessage() : k.getStatus().getReason();
      }
      if (detail == null && k.getCode() == 0) {
        detail = rootMessage(k);
      }
      return detail == null ? reason : reason + ": " + detail;
    }
    String m = rootMessage(e);
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage() != null ? c.getMessage() : t.getMessage();
  }
}
