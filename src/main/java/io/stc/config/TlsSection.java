package io.stc.config;

import io.stc.config.TlsConfig.Certificate;
import io.stc.config.TlsConfig.ClientAuth;
import io.stc.config.TlsConfig.Sessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the {@code tls} section. Every file it names is read and checked here (certificates parse,
 * each key belongs to its certificate, CA bundles hold certificates), so a bad file stops
 * {@code stc serve} with its line before anything starts.
 */
final class TlsSection {
  static final String[] KEYS = {
    "cert", "key", "certificates", "provider", "protocols", "client_ca", "client_auth", "resumption", "session_cache",
    "session_timeout", "ticket_keys", "ticket_key_rotation", "hsts", "watch", "backends", "backend_ca", "backend_verify",
    "redirect_port", "redirect_https_port"
  };
  /** Listener-only keys: without a certificate they would do nothing. */
  private static final String[] LISTENER_KEYS = {
    "protocols", "client_ca", "client_auth", "resumption", "session_cache", "session_timeout",
    "ticket_keys", "ticket_key_rotation", "hsts", "watch", "redirect_port", "redirect_https_port"
  };
  static final int MAX_SESSION_CACHE = 10_000_000;
  private static final Pattern HOST_NAME =
      Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
  private static final long ONE_YEAR_SECONDS = 365L * 24 * 3600;

  private TlsSection() {}

  static TlsConfig read(ConfigMap t) {
    TlsConfig d = TlsConfig.defaults();
    List<Certificate> certs = certificates(t);
    if (certs.isEmpty()) {
      for (String key : LISTENER_KEYS) {
        if (t.has(key)) {
          throw t.fail(key, "only with a listener certificate (tls.cert or tls.certificates)");
        }
      }
    }
    ClientAuth clientAuth = t.value("client_auth", "none, optional or required", TlsSection::clientAuth, ClientAuth.NONE);
    String clientCa = t.value("client_ca", "a PEM file of CA certificates", TlsSection::caFile, null);
    if (clientAuth != ClientAuth.NONE && clientCa == null) {
      throw t.fail("client_auth", "needs client_ca: the CA certificates client certificates must chain to");
    }
    if (clientAuth == ClientAuth.NONE && clientCa != null) {
      throw t.fail("client_ca", "does nothing without client_auth: optional or required");
    }
    Sessions ds = d.sessions();
    Duration rotation = t.positiveDuration("ticket_key_rotation", ds.ticketKeyRotation());
    Duration timeout = t.positiveDuration("session_timeout", ds.timeout());
    if (timeout.compareTo(rotation) > 0) {
      throw t.fail("session_timeout", "must not be longer than ticket_key_rotation (" + rotation.toSeconds()
          + "s): a ticket would outlive the key that opens it");
    }
    String provider = t.value("provider", "auto, openssl or jdk", TlsSection::provider, d.provider());
    boolean resumption = t.bool("resumption", true);
    if (!resumption) {
      for (String key : List.of("session_cache", "session_timeout", "ticket_keys", "ticket_key_rotation")) {
        if (t.has(key)) {
          throw t.fail(key, "does nothing with resumption: false");
        }
      }
      if (provider.equals("jdk") || !io.netty.handler.ssl.OpenSsl.isAvailable()) {
        throw t.fail("resumption", "false needs the OpenSSL provider (the JDK's cannot turn resumption off), "
            + (provider.equals("jdk") ? "and provider is jdk" : "which does not load here"));
      }
    }
    Sessions sessions = new Sessions(
        resumption,
        t.integer("session_cache", 1, MAX_SESSION_CACHE, ds.cacheSize()),
        timeout,
        t.value("ticket_keys", "a file stc may create and write", TlsSection::writableFile, null),
        rotation);
    boolean backends = t.bool("backends", false);
    return new TlsConfig(
        certs,
        provider,
        protocols(t),
        clientAuth,
        clientCa,
        sessions,
        hsts(t),
        t.bool("watch", d.watch()),
        backends,
        t.value("backend_ca", "a PEM file of trusted certificates", TlsSection::caFile, null),
        t.bool("backend_verify", true),
        t.integer("redirect_port", 0, 65535, TlsConfig.NO_REDIRECT),
        redirectHttpsPort(t));
  }

  /** The port redirects name (0: the listener's own), only beside redirect_port. */
  private static int redirectHttpsPort(ConfigMap t) {
    if (t.has("redirect_https_port") && !t.has("redirect_port")) {
      throw t.fail("redirect_https_port", "does nothing without redirect_port: the plain listener that redirects");
    }
    return t.integer("redirect_https_port", 1, 65535, 0);
  }

  /** {@code cert}/{@code key} first (the default), then {@code certificates} in order. */
  private static List<Certificate> certificates(ConfigMap t) {
    List<Certificate> out = new ArrayList<>();
    // name + key type -> where it was configured, so two certificates never claim the same slot.
    Map<String, String> slots = new HashMap<>();
    if (t.has("cert") || t.has("key")) {
      if (!t.has("cert")) {
        throw t.fail("key", "needs cert: the certificate chain this key belongs to");
      }
      out.add(certificate(t, false, "tls", slots));
    }
    for (ConfigNode item : t.list("certificates")) {
      ConfigMap c = item.asMap("cert", "key", "names");
      if (!c.has("cert")) {
        throw item.fail("needs cert (and key, unless the cert file holds it)");
      }
      out.add(certificate(c, true, item.path(), slots));
    }
    return out;
  }

  private static Certificate certificate(ConfigMap c, boolean mayName, String where, Map<String, String> slots) {
    String cert = c.value("cert", "a PEM certificate file", ConfigMap::nonEmpty, null);
    String key = c.value("key", "a PEM private key file", ConfigMap::nonEmpty, null);
    PemKeyPair pair;
    try {
      pair = PemKeyPair.read(Path.of(cert), key == null ? null : Path.of(key));
    } catch (PemKeyPair.Problem e) {
      throw c.fail(e.inKeyFile() ? "key" : "cert", e.getMessage());
    }
    List<String> names = new ArrayList<>();
    boolean named = mayName && c.has("names");
    if (named) {
      for (String n : c.stringList("names", List.of())) {
        String name = n.trim().toLowerCase(Locale.ROOT);
        if (!HOST_NAME.matcher(name).matches()) {
          throw c.fail("names", "expected host names like example.com or *.example.com, got '" + n + "'");
        }
        names.add(name);
      }
    }
    Set<String> claimed = new LinkedHashSet<>(names.isEmpty() ? pair.dnsNames() : names);
    for (String name : claimed) {
      String slot = name + " " + pair.keyType();
      String previous = slots.putIfAbsent(slot, where);
      if (previous != null) {
        throw c.fail(named ? "names" : "cert", "a second " + (pair.keyType().equals("EC") ? "ECDSA" : "RSA")
            + " certificate for " + name + " (the first is at " + previous + ")");
      }
    }
    return new Certificate(cert, key, names);
  }

  private static List<String> protocols(ConfigMap t) {
    List<String> out = new ArrayList<>();
    for (String p : t.stringList("protocols", TlsConfig.PROTOCOLS)) {
      String v = switch (p.trim().toLowerCase(Locale.ROOT)) {
        case "tlsv1.3", "tls1.3", "1.3" -> "TLSv1.3";
        case "tlsv1.2", "tls1.2", "1.2" -> "TLSv1.2";
        default -> throw t.fail("protocols", "expected TLSv1.2 and/or TLSv1.3 (older versions are broken), got '" + p + "'");
      };
      if (!out.contains(v)) {
        out.add(v);
      }
    }
    return out;
  }

  /** The Strict-Transport-Security value from {@code hsts: {max_age, include_subdomains, preload}}, or null. */
  private static String hsts(ConfigMap t) {
    if (!t.has("hsts") || t.get("hsts").orElseThrow().isNull()) {
      return null;
    }
    ConfigMap h = t.section("hsts", "max_age", "include_subdomains", "preload");
    long maxAge = h.require("max_age").as("a duration like 8760h or a number of seconds", HumanDuration::parse).toSeconds();
    boolean sub = h.bool("include_subdomains", false);
    boolean preload = h.bool("preload", false);
    if (preload && (!sub || maxAge < ONE_YEAR_SECONDS)) {
      throw h.fail("preload", "browsers' preload lists need include_subdomains: true and max_age of a year (8760h) or more");
    }
    return "max-age=" + maxAge + (sub ? "; includeSubDomains" : "") + (preload ? "; preload" : "");
  }

  private static String provider(String s) {
    String p = s.trim().toLowerCase(Locale.ROOT);
    switch (p) {
      case "auto", "jdk" -> {
        return p;
      }
      case "openssl" -> {
        if (!io.netty.handler.ssl.OpenSsl.isAvailable()) {
          Throwable cause = io.netty.handler.ssl.OpenSsl.unavailabilityCause();
          throw new IllegalArgumentException("OpenSSL is not available here ("
              + (cause == null ? "unknown reason" : cause.getMessage()) + "); use auto or jdk");
        }
        return p;
      }
      default -> throw new IllegalArgumentException("expected auto, openssl or jdk, got '" + s + "'");
    }
  }

  private static ClientAuth clientAuth(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "none" -> ClientAuth.NONE;
      case "optional" -> ClientAuth.OPTIONAL;
      case "required" -> ClientAuth.REQUIRED;
      default -> throw new IllegalArgumentException("expected none, optional or required, got '" + s + "'");
    };
  }

  private static String caFile(String s) {
    String path = ConfigMap.nonEmpty(s);
    PemKeyPair.trusted(Path.of(path));
    return path;
  }

  private static String writableFile(String s) {
    Path p = Path.of(ConfigMap.nonEmpty(s)).toAbsolutePath();
    if (Files.exists(p)) {
      if (!Files.isRegularFile(p) || !Files.isReadable(p) || !Files.isWritable(p)) {
        throw new IllegalArgumentException("cannot read and write " + p);
      }
    } else if (p.getParent() == null || !Files.isDirectory(p.getParent()) || !Files.isWritable(p.getParent())) {
      throw new IllegalArgumentException("cannot create " + p + " (its directory is missing or not writable)");
    }
    return s.trim();
  }
}
