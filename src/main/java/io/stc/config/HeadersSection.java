package io.stc.config;

import io.stc.config.StcConfig.HeaderEdits;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code headers} section: fields set on (or removed from) each request to a backend and
 * each response to a client. Fields stc frames, routes or vouches for itself cannot be named.
 */
final class HeadersSection {
  /** Framing, connection and routing fields: set by hand, they would break a message. */
  static final Set<String> FRAMING = Set.of(
      "host", "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "content-length",
      "trailer", "expect", "http2-settings");
  /** The framing fields and those stc vouches for: edited by hand, they would break a message or a guarantee. */
  private static final Set<String> RESERVED = with(FRAMING,
      "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-client-cert", "forwarded");

  /** {@code base} and {@code more}. */
  static Set<String> with(Set<String> base, String... more) {
    Set<String> all = new java.util.HashSet<>(base);
    all.addAll(List.of(more));
    return Set.copyOf(all);
  }

  private HeadersSection() {}

  static HeaderEdits read(ConfigMap h) {
    ConfigMap request = h.section("request", "set", "remove");
    ConfigMap response = h.section("response", "set", "remove");
    return new HeaderEdits(set(request), remove(request), set(response), remove(response));
  }

  private static Map<String, String> set(ConfigMap side) {
    return fields(side, "set", RESERVED, "is framed or set by stc itself and cannot be edited");
  }

  /**
   * The header fields in the mapping at {@code key} (name: value), none of them named twice or
   * among {@code reserved} (lower case; {@code why} says why in the error).
   */
  static Map<String, String> fields(ConfigMap m, String key, Set<String> reserved, String why) {
    Map<String, String> set = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigNode> e : m.get(key).map(ConfigNode::asOpenMap).orElse(Map.of()).entrySet()) {
      ConfigNode n = e.getValue();
      String name = e.getKey().trim();
      try {
        ownName(name, reserved, "X-Frame-Options", why);
      } catch (IllegalArgumentException ex) {
        throw n.fail(ex.getMessage());
      }
      String value = n.as("a header value", HeadersSection::value);
      for (String seen : set.keySet()) {
        if (seen.equalsIgnoreCase(name)) {
          throw n.fail("'" + name + "' is set twice");
        }
      }
      set.put(name, value);
    }
    return set;
  }

  private static List<String> remove(ConfigMap side) {
    List<String> names = new ArrayList<>();
    for (ConfigNode n : side.list("remove")) {
      names.add(n.as("a header name", HeadersSection::name));
    }
    return names;
  }

  private static String name(String s) {
    return ownName(s, RESERVED, "X-Frame-Options", "is framed or set by stc itself and cannot be edited");
  }

  /**
   * {@code s} trimmed, if it is a header name that is not one of {@code reserved} (lower case).
   *
   * @param example a name to show in the error
   * @param why what the error says of a reserved name
   */
  static String ownName(String s, Set<String> reserved, String example, String why) {
    String name = s.trim();
    if (!ConfigLoader.HEADER_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("expected a header name like " + example + ", got '" + s + "'");
    }
    if (reserved.contains(name.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("'" + name + "' " + why);
    }
    return name;
  }

  /** Visible ASCII, spaces and tabs inside: no CR or LF that would end the line and start another. */
  private static String value(String s) {
    String v = s.trim();
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if ((c < 0x20 && c != '\t') || c > 0x7e) {
        throw new IllegalArgumentException("a header value holds visible ASCII, spaces and tabs only, got '" + s + "'");
      }
    }
    return v;
  }
}
