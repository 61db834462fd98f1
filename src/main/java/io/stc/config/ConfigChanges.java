package io.stc.config;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a reload changes: which keys of the file differ, and which of them take effect at once (the
 * rest wait for a restart, and the reload says so rather than claiming them).
 */
public final class ConfigChanges {
  /** Sections named as a whole: their keys are not the record's components one to one. */
  private static final Set<String> WHOLE = Set.of("autoscale", "backends");

  private ConfigChanges() {}

  /**
   * {@code running} with what a reload may change while stc runs taken from {@code next}: the
   * per-request settings of the data plane (retries and the statuses retried on; the response, body, send, per-try,
   * response-body and stream-idle timeouts; the body size and buffering limits; client_ip;
   * request_id; access; headers; compression; error_pages; rate_limit; h2c; mirror; tracing) and, while the listener stays on TLS, its certificates, protocols,
   * client authentication, sessions and HSTS. Backends and the algorithm are the controller's.
   */
  public static StcConfig reloadable(StcConfig running, StcConfig next) {
    StcConfig.Timeouts t = running.timeouts();
    StcConfig.Timeouts n = next.timeouts();
    TlsConfig tls = running.tls();
    if (tls.enabled() && next.tls().enabled()) {
      TlsConfig nt = next.tls();
      // The backend side is built into each event loop's connections at start.
      // So is the redirecting listener, bound at start.
      tls = nt.withBackends(tls.backends()).withBackendCa(tls.backendCa()).withBackendVerify(tls.backendVerify())
          .withRedirectPort(tls.redirectPort()).withRedirectHttpsPort(tls.redirectHttpsPort());
    }
    return running
        .withRetries(next.retries())
        .withRetryOnStatus(next.retryOnStatus())
        .withTimeouts(t.withResponse(n.response()).withBody(n.body()).withSend(n.send()).withPerTry(n.perTry())
            .withResponseBody(n.responseBody()).withStreamIdle(n.streamIdle()))
        .withLimits(running.limits().withBody(next.limits().body()).withBuffer(next.limits().buffer()))
        .withClientIp(next.clientIp())
        .withRequestId(next.requestId())
        .withAccess(next.access())
        .withHeaders(next.headers())
        .withCompression(next.compression())
        .withErrorPages(next.errorPages())
        .withRateLimit(next.rateLimit())
        .withMirror(next.mirror())
        .withTracing(next.tracing())
        .withH2c(next.h2c())
        .withTls(tls)
        .withBackends(next.backends())
        .withAlgorithm(next.algorithm());
  }

  /**
   * The keys whose values differ between two configurations, as the file spells them
   * ({@code timeouts.connect}, {@code queue.max}), in the file's order; a section whose keys do
   * not map one to one ({@code autoscale}) is named as a whole.
   */
  public static List<String> between(StcConfig a, StcConfig b) {
    List<String> changed = new ArrayList<>();
    for (RecordComponent c : StcConfig.class.getRecordComponents()) {
      Object x = value(c, a);
      Object y = value(c, b);
      if (x.equals(y)) {
        continue;
      }
      String key = snake(c.getName());
      if (x instanceof StcConfig.Capacity cx && y instanceof StcConfig.Capacity cy) {
        // The file's max_inflight and queue section.
        add(changed, cx.maxInflight() != cy.maxInflight(), "max_inflight");
        add(changed, cx.queueMax() != cy.queueMax(), "queue.max");
        add(changed, !cx.queueTimeout().equals(cy.queueTimeout()), "queue.timeout");
        add(changed, cx.queueMaxMemory() != cy.queueMaxMemory(), "queue.max_memory");
      } else if (x instanceof Record rx && y instanceof Record ry && !WHOLE.contains(key)) {
        for (RecordComponent inner : rx.getClass().getRecordComponents()) {
          add(changed, !value(inner, rx).equals(value(inner, ry)), key + "." + snake(inner.getName()));
        }
      } else {
        changed.add(key);
      }
    }
    return changed;
  }

  private static void add(List<String> changed, boolean differs, String key) {
    if (differs) {
      changed.add(key);
    }
  }

  private static Object value(RecordComponent c, Object record) {
    try {
      Object v = c.getAccessor().invoke(record);
      return v == null ? NULL : v;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final Object NULL = new Object();

  /** requestId → request_id, as the file's keys are spelled. */
  static String snake(String camel) {
    switch (camel) {
      case "count5xx":
        return "count_5xx";
      case "requestSet", "requestRemove", "responseSet", "responseRemove":
        // headers.request.set and the like: two levels in the file, one record here.
        return camel.startsWith("request") ? "request." + camel.substring(7).toLowerCase(Locale.ROOT)
            : "response." + camel.substring(8).toLowerCase(Locale.ROOT);
      default:
        break;
    }
    StringBuilder sb = new StringBuilder(camel.length() + 4);
    for (int i = 0; i < camel.length(); i++) {
      char ch = camel.charAt(i);
      if (Character.isUpperCase(ch)) {
        sb.append('_').append(Character.toLowerCase(ch));
      } else {
        sb.append(ch);
      }
    }
    return sb.toString().toLowerCase(Locale.ROOT);
  }
}
