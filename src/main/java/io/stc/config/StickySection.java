package io.stc.config;

import io.stc.config.StcConfig.Sticky;
import io.stc.config.StcConfig.Sticky.Mode;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads the {@code sticky} section. Keys that do nothing in the chosen mode are errors rather than
 * silently ignored, so a config never claims a behaviour stc does not have.
 */
final class StickySection {
  static final int MAX_SESSIONS_LIMIT = 10_000_000;
  static final int MIN_KEY_LENGTH = 16;

  private StickySection() {}

  /** The sticky settings; an absent or empty ({@code sticky:}) section turns affinity off. */
  static Sticky read(Optional<ConfigNode> section, Sticky d) {
    if (section.isEmpty() || section.get().isNull()) {
      return d;
    }
    ConfigNode node = section.get();
    ConfigMap s = node.asMap("mode", "name", "ttl", "max_sessions", "honour_draining", "key");
    Mode mode = s.require("mode").as("cookie, ip or header", StickySection::mode);
    onlyIn(s, "name", mode != Mode.IP, "only for cookie and header modes (ip mode keys sessions by client address)");
    onlyIn(s, "max_sessions", mode != Mode.COOKIE, "only for ip and header modes (cookie sessions keep no table)");
    onlyIn(s, "key", mode == Mode.COOKIE, "only for cookie mode (it signs the cookies)");
    if (mode == Mode.HEADER && s.get("name").isEmpty()) {
      throw new ConfigException(node.file(), node.line(), ConfigNode.childPath(node.path(), "name"),
          "missing (required in header mode: the request header that carries the session key)");
    }
    return new Sticky(
        mode,
        s.value("name", "a " + (mode == Mode.HEADER ? "header" : "cookie") + " name", StickySection::token, d.name()),
        s.value("ttl", "a duration like 30m or 1h", StickySection::ttl, d.ttl()),
        s.integer("max_sessions", 1, MAX_SESSIONS_LIMIT, d.maxSessions()),
        s.bool("honour_draining", d.honourDraining()),
        s.value("key", "a secret", StickySection::key, d.key()));
  }

  private static void onlyIn(ConfigMap s, String key, boolean allowed, String why) {
    if (!allowed) {
      s.get(key).ifPresent(n -> {
        throw n.fail(why);
      });
    }
  }

  private static Mode mode(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "cookie" -> Mode.COOKIE;
      case "ip" -> Mode.IP;
      case "header" -> Mode.HEADER;
      default -> throw new IllegalArgumentException("expected cookie, ip or header, got '" + text + "'");
    };
  }

  private static String token(String text) {
    String name = text.trim();
    if (!ConfigLoader.HEADER_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "expected a name of letters, digits and !#$%&'*+-.^_`|~ like STC_SID, got '" + text + "'");
    }
    return name;
  }

  private static Duration ttl(String text) {
    Duration d = HumanDuration.parse(text);
    // Cookies expire in whole seconds (Max-Age); a shorter ttl would delete the cookie at once.
    if (d.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("must be at least 1s, got '" + text + "'");
    }
    return d;
  }

  private static String key(String text) {
    // The message must not echo the value: it is a secret.
    if (text.length() < MIN_KEY_LENGTH) {
      throw new IllegalArgumentException("must be at least " + MIN_KEY_LENGTH + " characters long (a random secret)");
    }
    return text;
  }
}
