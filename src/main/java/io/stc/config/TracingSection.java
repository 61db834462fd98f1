package io.stc.config;

import io.stc.config.StcConfig.Tracing;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the {@code tracing} section: absent or {@code off}, no spans; present (even {@code {}}),
 * spans go by OTLP/HTTP to {@code endpoint}, which defaults as OpenTelemetry's SDKs do from
 * {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}, then {@code OTEL_EXPORTER_OTLP_ENDPOINT} (with
 * {@code /v1/traces}), then a collector on this machine; the service's name from {@code OTEL_SERVICE_NAME}.
 */
final class TracingSection {
  static final String[] KEYS = {"endpoint", "sample", "service_name", "headers", "incoming", "propagation"};
  static final String LOCAL_COLLECTOR = "http://127.0.0.1:4318/v1/traces";
  private static final String TRACES_PATH = "/v1/traces";
  /** The exporter frames these itself. */
  private static final Set<String> RESERVED = HeadersSection.with(HeadersSection.FRAMING, "content-type", "content-encoding");

  private TracingSection() {}

  static Tracing read(Optional<ConfigNode> section, Map<String, String> env) {
    if (section.isEmpty()) {
      return Tracing.OFF;
    }
    ConfigNode node = section.get();
    if (Boolean.FALSE.equals(node.bool())) {
      return Tracing.OFF;
    }
    ConfigMap m = Boolean.TRUE.equals(node.bool()) || node.isNull()
        ? ConfigNode.empty(node.file(), node.line(), node.path()).asMap(KEYS) : node.asMap(KEYS);
    String endpoint = m.value("endpoint", "an http:// or https:// URL like http://otel-collector:4318/v1/traces",
        s -> endpoint(s, false), null);
    if (endpoint == null) {
      endpoint = fromEnvironment(env, node);
    }
    String serviceName = env.getOrDefault("OTEL_SERVICE_NAME", "").isBlank() ? "stc" : env.get("OTEL_SERVICE_NAME").trim();
    return new Tracing(
        endpoint,
        m.value("sample", "a share of new traces like 1% or 100%", ConfigLoader::percent, 1.0) / 100,
        m.nonEmptyString("service_name", serviceName),
        HeadersSection.fields(m, "headers", RESERVED, "is framed by the exporter itself"),
        m.value("incoming", "keep, trusted or replace", RequestIdSection::incoming, StcConfig.RequestId.Incoming.KEEP),
        propagation(m, env, node));
  }

  /**
   * The formats listed ({@code tracecontext}, {@code b3}, {@code b3multi}), else those
   * {@code OTEL_PROPAGATORS} names (its {@code baggage}, which goes through untouched, aside), else
   * W3C Trace Context alone.
   */
  private static List<Tracing.Propagation> propagation(ConfigMap m, Map<String, String> env, ConfigNode node) {
    List<Tracing.Propagation> formats = new ArrayList<>();
    if (m.has("propagation")) {
      for (ConfigNode n : m.list("propagation")) {
        Tracing.Propagation p = n.as("tracecontext, b3 or b3multi", TracingSection::format);
        if (formats.contains(p)) {
          throw n.fail("'" + n.asString() + "' is listed twice");
        }
        formats.add(p);
      }
      if (formats.isEmpty()) {
        throw m.fail("propagation", "lists no format; name tracecontext, b3 or b3multi");
      }
      return formats;
    }
    String listed = env.get("OTEL_PROPAGATORS");
    if (listed != null && !listed.isBlank()) {
      for (String name : listed.split(",")) {
        String v = name.trim().toLowerCase(Locale.ROOT);
        if (v.isEmpty() || v.equals("baggage") || v.equals("none")) {
          continue;
        }
        try {
          Tracing.Propagation p = format(v);
          if (!formats.contains(p)) {
            formats.add(p);
          }
        } catch (IllegalArgumentException e) {
          throw node.fail("the environment's OTEL_PROPAGATORS: " + e.getMessage());
        }
      }
    }
    return formats.isEmpty() ? List.of(Tracing.Propagation.TRACECONTEXT) : formats;
  }

  private static Tracing.Propagation format(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "tracecontext" -> Tracing.Propagation.TRACECONTEXT;
      case "b3" -> Tracing.Propagation.B3;
      case "b3multi" -> Tracing.Propagation.B3MULTI;
      default -> throw new IllegalArgumentException("expected tracecontext, b3 or b3multi, got '" + s.trim() + "'");
    };
  }

  /** Where the environment says spans go, as the OpenTelemetry SDKs read it; a bad value is named with its variable. */
  private static String fromEnvironment(Map<String, String> env, ConfigNode node) {
    String traces = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    String base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT");
    try {
      if (traces != null && !traces.isBlank()) {
        return endpoint(traces, true);
      }
      if (base != null && !base.isBlank()) {
        String b = base.trim();
        return endpoint((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + TRACES_PATH, true);
      }
    } catch (IllegalArgumentException e) {
      throw node.fail("the environment's " + (traces != null && !traces.isBlank()
          ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT") + ": " + e.getMessage());
    }
    return LOCAL_COLLECTOR;
  }

  /**
   * An OTLP/HTTP traces URL. Written in the file without a path (a collector's base address, as
   * users copy it), it gains {@code /v1/traces}; from a {@code _TRACES_} variable it is taken as it is.
   */
  static String endpoint(String s, boolean exact) {
    String v = s.trim();
    URI u;
    try {
      u = new URI(v);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + v + "' is not a URL");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("expected an http:// or https:// URL, got '" + v + "'");
    }
    if (u.getHost() == null || u.getHost().isEmpty()) {
      throw new IllegalArgumentException("'" + v + "' names no host");
    }
    if (u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
      throw new IllegalArgumentException("'" + v + "' has a query, a fragment or a user; credentials go in headers");
    }
    String path = u.getRawPath() == null ? "" : u.getRawPath();
    if (!exact && (path.isEmpty() || path.equals("/"))) {
      return (v.endsWith("/") ? v.substring(0, v.length() - 1) : v) + TRACES_PATH;
    }
    return v;
  }
}
