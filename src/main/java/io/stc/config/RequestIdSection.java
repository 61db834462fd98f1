package io.stc.config;

import io.stc.config.StcConfig.RequestId;
import io.stc.config.StcConfig.RequestId.Incoming;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Reads the {@code request_id} section: {@code off}, or the header, whose IDs are kept, and whether clients see it. */
final class RequestIdSection {
  static final String[] KEYS = {"header", "incoming", "response"};
  /** Headers stc sets or drops itself: an ID there would fight them. */
  private static final Set<String> TAKEN = Set.of(
      "host", "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "content-length",
      "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-client-cert", "set-cookie",
      "strict-transport-security", "cookie", "expect", "trailer");

  private RequestIdSection() {}

  static RequestId read(Optional<ConfigNode> section, RequestId d) {
    if (section.isEmpty()) {
      return d;
    }
    ConfigNode node = section.get();
    Boolean flag = node.bool();
    // YAML's off and no are false too.
    if (Boolean.FALSE.equals(flag)) {
      return new RequestId(null, d.incoming(), false);
    }
    if (Boolean.TRUE.equals(flag) || node.isNull()) {
      return d;
    }
    ConfigMap m = node.asMap(KEYS);
    return new RequestId(
        m.value("header", "a header name like X-Request-Id", RequestIdSection::header, d.header()),
        m.value("incoming", "keep, trusted or replace", RequestIdSection::incoming, d.incoming()),
        m.bool("response", d.response()));
  }

  private static String header(String s) {
    return HeadersSection.ownName(s, TAKEN, "X-Request-Id", "is a header stc sets or drops itself; name another, like X-Request-Id");
  }

  static Incoming incoming(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "keep" -> Incoming.KEEP;
      case "trusted" -> Incoming.TRUSTED;
      case "replace" -> Incoming.REPLACE;
      default -> throw new IllegalArgumentException("expected keep, trusted or replace, got '" + s + "'");
    };
  }
}
