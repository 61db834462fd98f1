package io.stc.config;

import io.stc.config.StcConfig.RateLimit;
import io.stc.config.StcConfig.RateLimit.Per;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads the {@code rate_limit} section: present turns limiting on, absent or empty
 * ({@code rate_limit:}) leaves it off.
 */
final class RateLimitSection {
  // Bounds keep the bucket arithmetic in nanoseconds far from overflow: (burst - 1) / rps seconds
  // stays below about 31 years.
  static final double MIN_RPS = 0.001;
  static final double MAX_RPS = 1_000_000;
  static final int MAX_BURST = 1_000_000;
  static final int MAX_CLIENTS_LIMIT = 10_000_000;

  private RateLimitSection() {}

  static RateLimit read(Optional<ConfigNode> section, RateLimit d) {
    if (section.isEmpty() || section.get().isNull()) {
      return d;
    }
    ConfigMap s = section.get().asMap("per", "header", "rps", "burst", "max_clients");
    Per per = s.value("per", "ip or header", RateLimitSection::per, Per.IP);
    if (per != Per.HEADER) {
      s.get("header").ifPresent(n -> {
        throw n.fail("only for per: header (per: ip keys clients by their address)");
      });
    }
    double rps = s.decimal("rps", MIN_RPS, MAX_RPS, d.rps());
    // Two seconds' worth by default, so a client may catch up after a short pause.
    int defaultBurst = (int) Math.min(MAX_BURST, Math.max(1, Math.ceil(2 * rps)));
    return new RateLimit(
        per,
        s.value("header", "a header name", RateLimitSection::headerName, d.header()),
        rps,
        s.integer("burst", 1, MAX_BURST, defaultBurst),
        s.integer("max_clients", 1, MAX_CLIENTS_LIMIT, d.maxClients()));
  }

  private static Per per(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "ip" -> Per.IP;
      case "header" -> Per.HEADER;
      default -> throw new IllegalArgumentException("expected ip or header, got '" + text + "'");
    };
  }

  private static String headerName(String text) {
    String name = text.trim();
    if (!ConfigLoader.HEADER_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("expected a header name like X-Api-Key, got '" + text + "'");
    }
    return name;
  }
}
